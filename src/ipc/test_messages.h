// One sample of every message, with awkward contents (empty strings, binary bytes, extremes),
// shared by the ipc tests.
#pragma once

#include <string>
#include <vector>

#include "ipc/protocol.h"

namespace cordon::ipc {

inline std::vector<Message> SampleMessages() {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  return {
      Hello{1, 1, 1, "cordon-runner 0.1.0"},
      Hello{1, 7, 123456, ""},
      HelloAck{1},
      Spawn{42,
            {"/bin/sh", "-c", "echo hi; exit 3"},
            "/src/app",
            {"PATH=/usr/bin", "A="},
            false,
            24,
            80,
            true},
      Spawn{~uint64_t{0}, {"bash"}, "", {}, true, 65535, 1, false},
      SpawnReady{42, 7},
      SpawnError{42, SpawnStage::kExec, 2, "execve /nope: ENOENT"},
      SpawnError{43, SpawnStage::kBadRequest, 0, ""},
      Output{42, Stream::kStdout, "hello\n"},
      Output{42, Stream::kStderr, binary},
      Output{42, Stream::kPty, ""},
      Stdin{42, binary + "\xe2\x82\xac"},
      Stdin{42, ""},
      CloseStdin{42},
      Resize{42, 50, 132},
      Signal{42, 2},
      Exit{42, false, 0},
      Exit{42, false, 255},
      Exit{42, true, 9},
      TerminateAll{15},
      Shutdown{},
  };
}

}  // namespace cordon::ipc
