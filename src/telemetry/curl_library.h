// libcurl, loaded with dlopen the first time a span is to be exported. Linking it would make
// every cordon start load ~30 shared libraries (curl's TLS, Kerberos, LDAP, ... chain): ~7 ms on
// each `cordon exec`, about as much as the whole sandbox set-up, paid even when tracing is off.
#pragma once

#include <curl/curl.h>

#include <string>

namespace cordon {

// The libcurl entry points the OTLP exporter uses. Null members never occur in a loaded library.
struct CurlLibrary {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_cleanup) multi_cleanup;
  decltype(&::curl_multi_wakeup) multi_wakeup;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_perform) multi_perform;
  decltype(&::curl_multi_poll) multi_poll;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// The library, loaded and globally initialised once (thread-safe); nullptr if it cannot be
// loaded, with the reason in *error.
const CurlLibrary* LoadCurl(std::string* error);

}  // namespace cordon
