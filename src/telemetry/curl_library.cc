#include "telemetry/curl_library.h"

#include <dlfcn.h>

#include <mutex>

namespace cordon {
namespace {

struct Loaded {
  CurlLibrary lib{};
  bool ok = false;
  std::string error;
};

template <typename Fn>
bool Resolve(void* handle, const char* name, Fn* out, std::string* error) {
  *out = reinterpret_cast<Fn>(::dlsym(handle, name));
  if (*out == nullptr) *error = std::string("libcurl.so.4 has no ") + name;
  return *out != nullptr;
}

Loaded Load() {
  Loaded l;
  // The runtime package's soname (libcurl4 / libcurl4-openssl-dev on Debian): ABI 4 is what
  // curl/curl.h describes.
  void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    l.error = std::string("cannot load libcurl.so.4: ") + (why != nullptr ? why : "unknown error");
    return l;
  }
  CurlLibrary& c = l.lib;
  std::string* e = &l.error;
  l.ok = Resolve(handle, "curl_global_init", &c.global_init, e) &&
         Resolve(handle, "curl_multi_init", &c.multi_init, e) &&
         Resolve(handle, "curl_multi_cleanup", &c.multi_cleanup, e) &&
         Resolve(handle, "curl_multi_wakeup", &c.multi_wakeup, e) &&
         Resolve(handle, "curl_multi_add_handle", &c.multi_add_handle, e) &&
         Resolve(handle, "curl_multi_remove_handle", &c.multi_remove_handle, e) &&
         Resolve(handle, "curl_multi_perform", &c.multi_perform, e) &&
         Resolve(handle, "curl_multi_poll", &c.multi_poll, e) &&
         Resolve(handle, "curl_multi_info_read", &c.multi_info_read, e) &&
         Resolve(handle, "curl_easy_init", &c.easy_init, e) &&
         Resolve(handle, "curl_easy_cleanup", &c.easy_cleanup, e) &&
         Resolve(handle, "curl_easy_setopt", &c.easy_setopt, e) &&
         Resolve(handle, "curl_easy_getinfo", &c.easy_getinfo, e) &&
         Resolve(handle, "curl_easy_strerror", &c.easy_strerror, e) &&
         Resolve(handle, "curl_slist_append", &c.slist_append, e) &&
         Resolve(handle, "curl_slist_free_all", &c.slist_free_all, e);
  if (l.ok && c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    l.ok = false;
    l.error = "curl_global_init failed";
  }
  // Never dlclose'd: curl's global state lives as long as the process.
  return l;
}

}  // namespace

const CurlLibrary* LoadCurl(std::string* error) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = Load(); });
  if (!loaded.ok) {
    if (error != nullptr) *error = loaded.error;
    return nullptr;
  }
  return &loaded.lib;
}

}  // namespace cordon
