#include "training_progress.h"

#include "progress_bar.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>

namespace unirep::cli {
namespace {

using sdk::TrainProgress;

// The bar of the epoch in progress, made at its first event. It counts from when the epoch's
// training began (the event's `seconds` ago), so rate and ETA are the epoch's own.
class EpochBars {
 public:
  ProgressBar& of(const TrainProgress& p) {
    if (!bar_ || epoch_ != p.epoch) {
      const auto started = ProgressBar::Clock::now() - std::chrono::duration_cast<ProgressBar::Clock::duration>(
                                                           std::chrono::duration<double>(p.seconds));
      bar_ = std::make_unique<ProgressBar>("epoch " + std::to_string(p.epoch) + "/" + std::to_string(p.epochs),
                                           p.batches, "batch", 10.0, started);
      epoch_ = p.epoch;
    }
    return *bar_;
  }
  void finish(const TrainProgress& p, const std::string& status) {
    of(p).finish(status);
    bar_.reset();
  }

 private:
  std::unique_ptr<ProgressBar> bar_;
  int64_t epoch_ = 0;
};

std::string step_status(const TrainProgress& p) {
  char status[64];
  std::snprintf(status, sizeof status, "loss %.4f lr %.2e", p.loss, p.lr);
  return status;
}

std::string metrics_status(const TrainProgress& p) {
  std::ostringstream status;
  for (const auto& [k, v] : p.metrics) status << k << " " << v << "  ";
  return status.str();
}

void print(EpochBars& bars, const TrainProgress& p) {
  switch (p.event) {
    case TrainProgress::Event::Step:
      bars.of(p).update(p.batch, step_status(p));
      break;
    case TrainProgress::Event::EpochEnd:
      bars.finish(p, metrics_status(p));
      break;
    case TrainProgress::Event::Stopped:
      bars.finish(p, "stopped");
      if (!p.message.empty()) std::fprintf(stderr, "%s\n", p.message.c_str());
      break;
    case TrainProgress::Event::Resumed:
      std::fprintf(stderr, "%s\n", p.message.c_str());
      break;
    case TrainProgress::Event::Note:
      std::fprintf(stderr, "note: %s\n", p.message.c_str());
      break;
  }
}

}  // namespace

sdk::ProgressCallback training_progress_printer() {
  auto bars = std::make_shared<EpochBars>();  // shared: a std::function is copied around
  return [bars](const TrainProgress& p) {
    print(*bars, p);
    return true;
  };
}

}  // namespace unirep::cli
