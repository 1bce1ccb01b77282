// AtomicFile: the target only ever holds its old content or the complete new content.
#include <unirep/io/atomic_file.h>
#include <unirep/io/format_error.h>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "support/test_support.h"

namespace {

using unirep::io::AtomicFile;
using unirep::io::FormatError;
using unirep::testing::TempDir;

size_t files_in(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, CommitReplacesTheTarget) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  unirep::testing::write_bytes(path, "old");
  {
    AtomicFile f(path);
    f.write("new ");
    f.write(std::string("content"));
    EXPECT_EQ(f.position(), 11u);
    EXPECT_EQ(f.path(), path);
    EXPECT_EQ(unirep::testing::read_bytes(path), "old");  // not visible before commit
    f.commit();
  }
  EXPECT_EQ(unirep::testing::read_bytes(path), "new content");
  EXPECT_EQ(files_in(dir.path()), 1u);
}

TEST(AtomicFile, NoCommitLeavesTheTargetAndNoTemporaryFile) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  unirep::testing::write_bytes(path, "old");
  {
    AtomicFile f(path);
    f.write("partial");
    EXPECT_EQ(files_in(dir.path()), 2u);  // the temporary file sits beside the target
  }
  EXPECT_EQ(unirep::testing::read_bytes(path), "old");
  EXPECT_EQ(files_in(dir.path()), 1u);
  {
    AtomicFile f(dir.file("fresh.bin"));
    f.write("x");
  }
  EXPECT_FALSE(unirep::testing::file_exists(dir.file("fresh.bin")));
}

TEST(AtomicFile, MissingDirectoryThrowsAndCreatesNothing) {
  TempDir dir;
  try {
    AtomicFile f(dir.file("no/such/dir/out.bin"));
    FAIL() << "opened";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.path(), dir.file("no/such/dir/out.bin"));
    EXPECT_NE(e.problem().find("cannot create"), std::string::npos);
  }
  EXPECT_EQ(files_in(dir.path()), 0u);
}

TEST(AtomicFile, FailedRenameKeepsTheTargetAndCleansUp) {
  TempDir dir;
  const std::string target = dir.file("occupied");
  ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
  unirep::testing::write_bytes(target + "/inside", "keep");
  {
    AtomicFile f(target);
    f.write("data");
    EXPECT_THROW(f.commit(), FormatError);
    EXPECT_THROW(f.write("more"), FormatError);
  }
  EXPECT_EQ(unirep::testing::read_bytes(target + "/inside"), "keep");
  EXPECT_EQ(files_in(dir.path()), 1u);
}

TEST(AtomicFile, ResultHasOrdinaryPermissions) {
  TempDir dir;
  const mode_t old = umask(022);
  {
    AtomicFile f(dir.file("p.bin"));
    f.commit();
  }
  umask(old);
  struct stat st {};
  ASSERT_EQ(stat(dir.file("p.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(AtomicFile, RelativePathsWork) {
  TempDir dir;
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  {
    AtomicFile f("rel.bin");
    f.write("r");
    f.commit();
  }
  std::filesystem::current_path(cwd);
  EXPECT_EQ(unirep::testing::read_bytes(dir.file("rel.bin")), "r");
}

}  // namespace
