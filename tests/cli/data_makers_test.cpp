// The data makers end to end through the CLI (docs/reliability.md, "Files the user owns"): a data
// set appears whole or not at all. A run stopped by a signal, or failing midway because a
// synthesizer fails, leaves neither the destination nor its staging folder; a data set made into a
// folder that holds other files adds to it and keeps them.
#include <support/test_support.h>

#include "data_set_makers.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <thread>
namespace fs = std::filesystem;

namespace {

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

// Whether `dir` holds a staging folder (`.NAME.partial-XXXXXX`) with at least one file in it.
bool staging_folder_has_files(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().find(".partial-") == std::string::npos) continue;
    for (const auto& f : fs::recursive_directory_iterator(e.path(), ec))
      if (f.is_regular_file(ec)) return true;
  }
  return false;
}

// 0.4 s of a 440 Hz tone, 16-bit mono PCM at 16 kHz.
std::string tone_wav() {
  auto le = [](uint32_t v, int bytes) {
    std::string s;
    for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
  };
  const uint32_t rate = 16000, samples = 6400;
  std::string pcm;
  for (uint32_t i = 0; i < samples; ++i)
    pcm += le(static_cast<uint16_t>(static_cast<int16_t>(12000 * std::sin(2 * M_PI * 440 * i / rate))), 2);
  return "RIFF" + le(36 + samples * 2, 4) + "WAVEfmt " + le(16, 4) + le(1, 2) + le(1, 2) + le(rate, 4) +
         le(rate * 2, 4) + le(2, 2) + le(16, 2) + "data" + le(samples * 2, 4) + pcm;
}

TEST(DataMakers, StoppedRunLeavesNoDataSetAndNoStagingFolder) {
  unirep::testing::TempDir d;
  const auto parent = d.file("data"), out = d.file("data/shapes");
  fs::create_directory(parent);
  // Thousands of shapes: minutes of work, stopped as soon as the first files are there.
  const int pid = unirep::testing::spawn_cli(
      {"data", "shapes", "--out", out, "--per-class", "2000", "--points", "4096", "--threads", "2"}, {},
      d.file("log.txt"));
  bool caught = false;
  for (int waited = 0; waited < 60000 && !caught; waited += 5) {
    caught = staging_folder_has_files(parent);
    if (!caught) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGINT);
  const int code = unirep::testing::wait_exit(pid, 60);
  ASSERT_TRUE(caught) << "no staging folder with files appeared: " << unirep::testing::read_bytes(d.file("log.txt"));
  EXPECT_EQ(code, 128 + SIGINT) << unirep::testing::read_bytes(d.file("log.txt"));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(entries(parent).empty()) << "left behind: " << entries(parent).front();
}

TEST(DataMakers, SynthesizerFailingMidwayLeavesNoDataSetAndNoStagingFolder) {
  unirep::testing::TempDir d;
  const auto parent = d.file("data"), out = d.file("data/keywords"), bin = d.file("bin");
  fs::create_directory(parent);
  fs::create_directory(bin);
  unirep::testing::write_bytes(d.file("tone.wav"), tone_wav());
  // A stand-in for espeak-ng: writes a tone to the file after -w five times, then fails.
  const auto fake = bin + "/espeak-ng";
  unirep::testing::write_bytes(fake,
                               "#!/bin/sh\n"
                               "n=$(( $(cat '" +
                                   d.file("calls") +
                                   "' 2>/dev/null || echo 0) + 1 ))\n"
                                   "echo $n > '" +
                                   d.file("calls") +
                                   "'\n"
                                   "[ $n -gt 5 ] && exit 1\n"
                                   "while [ $# -gt 0 ]; do [ \"$1\" = -w ] && cp '" +
                                   d.file("tone.wav") +
                                   "' \"$2\"; shift; done\n"
                                   "exit 0\n");
  chmod(fake.c_str(), 0755);
  const char* path = std::getenv("PATH");
  const int pid =
      unirep::testing::spawn_cli({"data", "keywords", "--out", out, "--threads", "1"},
                                 {"PATH=" + bin + ":" + (path ? path : "/usr/bin:/bin")}, d.file("log.txt"));
  const int code = unirep::testing::wait_exit(pid, 120);
  const auto log = unirep::testing::read_bytes(d.file("log.txt"));
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("espeak-ng failed for voice"), std::string::npos) << log;
  EXPECT_EQ(unirep::testing::read_bytes(d.file("calls")), "6\n") << "five clips were made before the failure";
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(entries(parent).empty()) << "left behind: " << entries(parent).front();
}

TEST(DataMakers, DataSetIntoAFolderWithOtherFilesAddsToItAndKeepsThem) {
  unirep::testing::TempDir d;
  const auto out = d.file("shapes");
  fs::create_directory(out);
  unirep::testing::write_bytes(out + "/notes.txt", "mine");
  const auto r = unirep::testing::run_cli({"data", "shapes", "--out", out, "--per-class", "2", "--points", "64"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(unirep::testing::read_bytes(out + "/notes.txt"), "mine");
  EXPECT_TRUE(unirep::testing::file_exists(out + "/shapes_test.txt"));
  EXPECT_TRUE(unirep::testing::file_exists(out + "/sphere/sphere_2.ply"));
  for (const auto& name : entries(d.path())) EXPECT_EQ(name.find(".partial-"), std::string::npos) << name;
}

// `unirep data` is made from the table of data set makers: every maker is a subcommand whose help
// names the task it feeds and lists each option of its table, and each option's range holds.
TEST(DataMakers, EveryMakerAndOptionOfTheTableIsACommandAndFlag) {
  for (const auto& maker : unirep::data_makers::data_set_makers()) {
    const auto help = unirep::testing::run_cli({"data", maker.name, "--help"});
    ASSERT_EQ(help.exit_code, 0) << help.output;
    EXPECT_NE(help.output.find("train " + maker.task), std::string::npos) << help.output;
    for (const auto& o : maker.options)
      EXPECT_NE(help.output.find("--" + o.flag_name()), std::string::npos) << maker.name << " lacks " << o.key;
  }
  unirep::testing::TempDir d;
  const auto below = unirep::testing::run_cli({"data", "shapes", "-o", d.file("s"), "--per-class", "1"});
  EXPECT_EQ(below.exit_code, 2);
  EXPECT_NE(below.output.find("--per-class: must be an integer from 2"), std::string::npos) << below.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("s")));
  const auto other = unirep::testing::run_cli({"data", "motions", "-o", d.file("m"), "--clips", "3"});
  EXPECT_NE(other.exit_code, 0);
  EXPECT_FALSE(unirep::testing::file_exists(d.file("m")));
}

}  // namespace
