// An error as a value: what cordon tried to do, on which path, and the errno the kernel gave.
// Errors are made at the syscall site (errno is read there and nowhere later) and passed up
// unchanged, so the message a user sees names the exact step that failed, e.g.
//   cordon: cannot bind /src/app/.git read-only: EACCES (Permission denied)
#pragma once

#include <string>

namespace cordon {

struct Error {
  std::string op;       // "bind /src/app/.git read-only", "parse config"
  std::string path;     // the path the step was about, if any (already part of `op` for display)
  int err = 0;          // errno, or 0 for errors that are not from the kernel
  std::string detail;   // extra text, e.g. a parser's message with file and line

  // "cannot <op>: <ERRNO> (<strerror>)" or "<op>: <detail>" for non-kernel errors.
  std::string ToString() const;
};

// Builds an Error from the current errno. Call it right after the failing call.
Error ErrnoError(std::string op, std::string path = {});
Error ErrnoError(int err, std::string op, std::string path = {});
// An error that does not come from the kernel (bad input, policy refusal).
Error PlainError(std::string op, std::string detail);

// "EACCES", "ENOENT", ... (the symbolic name, which is what people search for).
const char* ErrnoName(int err);

}  // namespace cordon
