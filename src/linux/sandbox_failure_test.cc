// A failure inside the new namespaces reaches the user as one line naming the step, the path and
// the errno: the record written by the child is turned into that message here.
#include <cerrno>

#include <gtest/gtest.h>

#include "linux/sandbox.h"

namespace cordon {
namespace {

TEST(ChildFailure, NamesTheStepThePathAndTheErrno) {
  Plan plan;
  plan.argv = {"make"};
  plan.cwd = "/src/app";
  plan.mounts = {{MountKind::kRootFromHost, "/", "/", false, ""},
                 {MountKind::kBind, "/src/app/.git", "/src/app/.git", false, ""},
                 {MountKind::kBind, "/src/app", "/src/app", true, ""},
                 {MountKind::kMaskDir, "", "/src/app/secret", false, ""}};
  EXPECT_EQ(DescribeChildFailure(plan, {ChildStage::kMount, 1, EACCES}, "").ToString(),
            "cannot bind /src/app/.git read-only: EACCES (Permission denied)");
  EXPECT_EQ(DescribeChildFailure(plan, {ChildStage::kMount, 2, ENOENT}, "").ToString(),
            "cannot bind /src/app writable: ENOENT (No such file or directory)");
  EXPECT_EQ(DescribeChildFailure(plan, {ChildStage::kMount, 3, EPERM}, "").ToString(),
            "cannot hide directory /src/app/secret: EPERM (Operation not permitted)");
  EXPECT_EQ(DescribeChildFailure(plan, {ChildStage::kMount, 0, EINVAL}, "").ToString(),
            "cannot clone the host's root read-only: EINVAL (Invalid argument)");
  EXPECT_EQ(DescribeChildFailure(plan, {ChildStage::kDevNode, 0, EPERM}, "").ToString(),
            "cannot bind /dev/null into the sandbox: EPERM (Operation not permitted)");
  EXPECT_EQ(DescribeChildFailure(plan, {ChildStage::kExec, 0, ENOENT}, "make").ToString(),
            "cannot execute make: ENOENT (No such file or directory)");
  EXPECT_EQ(DescribeChildFailure(plan, {ChildStage::kChdir, 0, ENOTDIR}, "").ToString(),
            "cannot change to directory /src/app: ENOTDIR (Not a directory)");
  // An index the plan does not have (a corrupt record) still gives a message, not a crash.
  EXPECT_EQ(DescribeChildFailure(plan, {ChildStage::kMount, 99, EIO}, "").ToString(),
            "cannot mount: EIO (Input/output error)");
}

}  // namespace
}  // namespace cordon
