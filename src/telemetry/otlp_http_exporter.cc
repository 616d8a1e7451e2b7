// OTLP/HTTP export over libcurl's multi interface, so that a stalled request can be abandoned
// the moment Shutdown's deadline passes instead of when curl's own timeout fires.
#include "telemetry/otlp_http_exporter.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>

#include "telemetry/curl_library.h"

namespace cordon {
namespace {

size_t DiscardBody(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }

int64_t SteadyNanos(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

OtlpHttpExporter::OtlpHttpExporter(OtlpHttpExporterOptions options) : options_(std::move(options)) {
  curl_ = LoadCurl(&curl_error_);
  if (curl_ != nullptr) multi_ = curl_->multi_init();
  // The thread takes no asynchronous signal: cordon's main thread reads SIGTERM & co. from a
  // signalfd (with them blocked only there, the kernel would deliver one to this thread, and its
  // default action would end cordon without forwarding it or restoring the terminal).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([this] { Run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

OtlpHttpExporter::~OtlpHttpExporter() {
  Shutdown(std::chrono::milliseconds(0));
  if (multi_ != nullptr) curl_->multi_cleanup(static_cast<CURLM*>(multi_));
}

bool OtlpHttpExporter::Enqueue(SpanRecord span) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || queue_.size() >= options_.max_queue) {
    dropped_.fetch_add(1);
    return false;
  }
  queue_.push_back(std::move(span));
  if (queue_.size() >= options_.max_batch) cv_.notify_one();
  return true;
}

void OtlpHttpExporter::Shutdown(std::chrono::milliseconds flush_timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      deadline_ns_.store(SteadyNanos(Clock::now() + flush_timeout));
    } else {
      // A second, shorter Shutdown (the destructor's) may only bring the deadline closer.
      deadline_ns_.store(std::min(deadline_ns_.load(), SteadyNanos(Clock::now() + flush_timeout)));
    }
  }
  cv_.notify_one();
  if (multi_ != nullptr) curl_->multi_wakeup(static_cast<CURLM*>(multi_));
  if (thread_.joinable()) thread_.join();
}

bool OtlpHttpExporter::PastDeadline() const {
  return SteadyNanos(Clock::now()) >= deadline_ns_.load();
}

void OtlpHttpExporter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait_for(lock, options_.schedule_delay,
                 [&] { return stopping_ || queue_.size() >= options_.max_batch; });
    if (stopping_ && (queue_.empty() || PastDeadline())) break;
    if (queue_.empty()) continue;
    std::vector<SpanRecord> batch;
    const size_t n = std::min(queue_.size(), options_.max_batch);
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    Send(std::move(batch));
    lock.lock();
  }
  dropped_.fetch_add(queue_.size());
  queue_.clear();
}

void OtlpHttpExporter::ReportFailure(const std::string& what) {
  failed_.fetch_add(1);
  if (!reported_.exchange(true) && options_.report) {
    options_.report("trace export to " + options_.endpoint + " failed: " + what +
                    " (spans are dropped; further export errors are not reported)");
  }
}

void OtlpHttpExporter::Send(std::vector<SpanRecord> batch) {
  if (multi_ == nullptr) {
    ReportFailure(curl_ == nullptr ? curl_error_ : "cannot initialise libcurl");
    dropped_.fetch_add(batch.size());
    return;
  }
  const std::string body = EncodeOtlpTraceJson(options_.resource, batch);
  CURL* easy = curl_->easy_init();
  if (easy == nullptr) {
    ReportFailure("cannot initialise libcurl");
    dropped_.fetch_add(batch.size());
    return;
  }
  curl_slist* headers = curl_->slist_append(nullptr, "Content-Type: application/json");
  for (const auto& [name, value] : options_.headers) {
    headers = curl_->slist_append(headers, (name + ": " + value).c_str());
  }
  curl_->easy_setopt(easy, CURLOPT_URL, options_.endpoint.c_str());
  curl_->easy_setopt(easy, CURLOPT_POST, 1L);
  curl_->easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
  curl_->easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_->easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_->easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_->easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_->easy_setopt(easy, CURLOPT_WRITEFUNCTION, DiscardBody);
  // The collector's address is the configured one: no proxies from the environment, no redirects.
  curl_->easy_setopt(easy, CURLOPT_NOPROXY, "*");
  curl_->easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);

  auto* multi = static_cast<CURLM*>(multi_);
  curl_->multi_add_handle(multi, easy);
  bool abandoned = false;
  int running = 1;
  while (running > 0) {
    if (curl_->multi_perform(multi, &running) != CURLM_OK) break;
    if (running == 0) break;
    if (PastDeadline()) {
      abandoned = true;
      break;
    }
    // Sleep until there is socket activity, a wakeup from Shutdown, or 100 ms at most so the
    // deadline is re-read even if it was set between the check above and the poll.
    const int64_t left_ms = (deadline_ns_.load() - SteadyNanos(Clock::now())) / 1000000;
    const int wait_ms = static_cast<int>(std::clamp<int64_t>(left_ms, 0, 100));
    curl_->multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }

  std::string failure;
  if (abandoned) {
    failure = "no answer before the flush timeout";
  } else {
    int queued = 0;
    CURLcode code = CURLE_OK;
    while (CURLMsg* msg = curl_->multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) code = msg->data.result;
    }
    long status = 0;
    curl_->easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK) {
      failure = curl_->easy_strerror(code);
    } else if (status < 200 || status > 299) {
      failure = "collector answered HTTP " + std::to_string(status);
    }
  }
  curl_->multi_remove_handle(multi, easy);
  curl_->easy_cleanup(easy);
  curl_->slist_free_all(headers);
  if (failure.empty()) {
    exported_.fetch_add(batch.size());
  } else {
    dropped_.fetch_add(batch.size());
    ReportFailure(failure);
  }
}

}  // namespace cordon
