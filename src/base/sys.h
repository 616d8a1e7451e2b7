// Thin wrappers over the system calls cordon uses on the host side. Each returns a Result whose
// error names the operation and path; EINTR is retried here and nowhere else.
// Code that runs between clone() and exec() must not use these (they allocate on error); it uses
// the raw calls in linux/child_*.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon {

Result<UniqueFd> SysOpen(const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> SysOpenAt(int dirfd, const std::string& path, int flags, mode_t mode = 0);

struct FdPair {
  UniqueFd read;   // for pipes: the read end; for socketpairs: the first socket
  UniqueFd write;  // for pipes: the write end; for socketpairs: the second socket
};
Result<FdPair> SysPipe(int flags = 0);
Result<FdPair> SysSocketpair(int type);

// read(2) until `len` bytes or end of file; returns the number of bytes read.
Result<size_t> ReadFull(int fd, void* buf, size_t len);
// write(2) until every byte is written (partial writes are looped).
Status WriteAll(int fd, std::string_view data);

// mkdir -p: creates each missing directory of `path` with `mode`; existing ones are fine.
Status MakeDirs(const std::string& path, mode_t mode);

// Whole-file helpers for small files (config, /proc entries).
Result<std::string> ReadFileToString(const std::string& path);
Status WriteStringToFile(const std::string& path, std::string_view data);

}  // namespace cordon
