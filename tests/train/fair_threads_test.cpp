// FairThreads (sdk/fair_threads.h): threads give way to another busy process and come back after.
#include "sdk/fair_threads.h"
#include "sdk/threads.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace {

// Another process that keeps one core busy until killed.
pid_t busy_process() {
  const pid_t pid = fork();
  if (pid == 0) {
    volatile unsigned long x = 0;
    for (;;) x = x + 1;
  }
  return pid;
}

}  // namespace

TEST(FairThreads, GivesACoreToABusyProcessAndRestoresTheCountAfter) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (cores < 2) GTEST_SKIP() << "needs at least 2 cores, this machine has " << cores;
  const int before = unirep::sdk::configure_threads(cores);
  {
    unirep::sdk::FairThreads fair(cores, /*interval_s=*/0.5);
    EXPECT_EQ(fair.update(), cores);  // no interval has passed yet
    const pid_t other = busy_process();
    ASSERT_GT(other, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    const int during = fair.update();
    kill(other, SIGKILL);
    waitpid(other, nullptr, 0);
    EXPECT_GE(fair.others_busy_cores(), 0.6) << "the busy process was not seen";
    EXPECT_LE(during, cores - 1);
    EXPECT_GE(during, 1);
    EXPECT_EQ(at::get_num_threads(), during);
  }
  EXPECT_EQ(at::get_num_threads(), cores);  // the destructor put the count back
  unirep::sdk::configure_threads(before);
}
