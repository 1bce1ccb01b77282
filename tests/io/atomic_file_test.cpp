// AtomicFile: the target only ever holds its old content or the complete new content.
#include "models/io/atomic_file.h"
#include "models/io/format_error.h"
#include "models/io/output_transaction.h"
#include "models/io/text_escape.h"

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
  {
    AtomicFile f(target);
    f.write("data");
    // A directory appears at the target while the file is written: the rename fails.
    ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
    unirep::testing::write_bytes(target + "/inside", "keep");
    EXPECT_THROW(f.commit(), FormatError);
    EXPECT_THROW(f.write("more"), FormatError);
  }
  EXPECT_EQ(unirep::testing::read_bytes(target + "/inside"), "keep");
  EXPECT_EQ(files_in(dir.path()), 1u);
}

TEST(AtomicFile, DirectoriesAreRefusedBeforeWriting) {
  TempDir dir;
  ASSERT_EQ(mkdir(dir.file("d").c_str(), 0755), 0);
  try {
    AtomicFile f(dir.file("d"));
    FAIL() << "opened a directory";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.problem(), "is a directory, not a file");
  }
  EXPECT_EQ(files_in(dir.path()), 1u);
}

TEST(AtomicFile, ExistingModeIsKept) {
  TempDir dir;
  const auto path = dir.file("m.bin");
  unirep::testing::write_bytes(path, "old");
  ASSERT_EQ(chmod(path.c_str(), 0604), 0);
  {
    AtomicFile f(path);
    f.write("new");
    f.commit();
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
  EXPECT_EQ(unirep::testing::read_bytes(path), "new");
}

TEST(AtomicFile, SymlinksAreFollowedAndLoopsRefused) {
  TempDir dir;
  std::filesystem::create_symlink("b", dir.file("a"));
  std::filesystem::create_symlink("real", dir.file("b"));
  {
    AtomicFile f(dir.file("a"));  // a -> b -> real (missing: made)
    f.write("via links");
    f.commit();
  }
  EXPECT_TRUE(std::filesystem::is_symlink(dir.file("a")));
  EXPECT_TRUE(std::filesystem::is_symlink(dir.file("b")));
  EXPECT_EQ(unirep::testing::read_bytes(dir.file("real")), "via links");
  std::filesystem::create_symlink("loop", dir.file("loop"));
  EXPECT_THROW(AtomicFile f(dir.file("loop")), FormatError);
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

TEST(OutputTransaction, AllFilesAppearTogether) {
  TempDir dir;
  unirep::testing::write_bytes(dir.file("a"), "old a");
  {
    unirep::io::OutputTransaction outputs;
    for (const char* name : {"a", "b"}) {
      AtomicFile f(dir.file(name));
      f.write(std::string("new ") + name);
      f.commit();
    }
    EXPECT_EQ(unirep::testing::read_bytes(dir.file("a")), "old a");  // staged, not yet in place
    EXPECT_FALSE(unirep::testing::file_exists(dir.file("b")));
    outputs.commit();
  }
  EXPECT_EQ(unirep::testing::read_bytes(dir.file("a")), "new a");
  EXPECT_EQ(unirep::testing::read_bytes(dir.file("b")), "new b");
  EXPECT_EQ(files_in(dir.path()), 2u);
}

TEST(OutputTransaction, AFailedRenamePutsEveryEarlierFileBack) {
  TempDir dir;
  unirep::testing::write_bytes(dir.file("a"), "old a");
  {
    unirep::io::OutputTransaction outputs;
    for (const char* name : {"a", "b", "c"}) {
      AtomicFile f(dir.file(name));
      f.write(std::string("new ") + name);
      f.commit();
    }
    ASSERT_EQ(mkdir(dir.file("c").c_str(), 0755), 0);  // the last rename fails
    unirep::testing::write_bytes(dir.file("c/inside"), "x");
    EXPECT_THROW(outputs.commit(), FormatError);
  }
  EXPECT_EQ(unirep::testing::read_bytes(dir.file("a")), "old a");
  EXPECT_FALSE(unirep::testing::file_exists(dir.file("b")));
  EXPECT_EQ(files_in(dir.path()), 2u);  // a and the directory c: no temporary file, no backup
}

TEST(OutputTransaction, NoCommitLeavesNothing) {
  TempDir dir;
  {
    unirep::io::OutputTransaction outputs;
    AtomicFile f(dir.file("a"));
    f.write("x");
    f.commit();
  }
  EXPECT_EQ(files_in(dir.path()), 0u);
}

TEST(TextEscape, MessagesStayOneReadableLine) {
  using unirep::io::escape_text;
  EXPECT_EQ(escape_text("plain caf\xc3\xa9"), "plain caf\xc3\xa9");
  EXPECT_EQ(escape_text(std::string("a\0b\n\xe9", 5)), "a\\x00b\\x0A\\xE9");
  EXPECT_EQ(escape_text("back\\slash"), "back\\\\slash");
  EXPECT_EQ(unirep::io::quoted(std::string(100, 'x')), "'" + std::string(80, 'x') + "...'");
  EXPECT_EQ(unirep::io::utf8_for_json("caf\xe9 \xc3\xa9"), "caf\\xE9 \xc3\xa9");
  EXPECT_EQ(escape_text("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a UTF-16 surrogate is not UTF-8
  const auto line = unirep::io::one_line("first\nsecond\x01" + std::string(1000, 'z'));
  EXPECT_EQ(line.size(), 500u);
  EXPECT_EQ(line.substr(0, 21), "first | second\\x01zzz");
  EXPECT_EQ(line.substr(497), "...");
}

}  // namespace
