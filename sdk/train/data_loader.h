#pragma once
// A multi-threaded batch loader: worker threads fetch and collate the batches of an epoch ahead of
// the training loop (bounded prefetch), and batches come out in sampler order, so results do not
// depend on thread timing.
#include "sdk/train/dataset.h"
#include "sdk/train/sampler.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace unirep::sdk {

struct Batch {
  at::Tensor input;  // examples stacked along a new first axis
  at::Tensor target;
  std::vector<size_t> indices;
};

// Stacks examples; inputs and targets must agree in shape within a batch.
Batch collate(const std::vector<Example>& examples, std::vector<size_t> indices);

struct DataLoaderOptions {
  size_t batch_size = 32;
  int workers = 2;      // 0: load on the calling thread
  size_t prefetch = 4;  // batches ready ahead of the consumer
  SamplerOptions sampler;
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Starts an epoch, skipping its first `skip_batches` (when resuming mid-epoch).
  void start_epoch(int64_t epoch, size_t skip_batches = 0);
  // The next batch of the current epoch, or nothing at its end. Errors from workers are rethrown here.
  std::optional<Batch> next();
  size_t batches_per_epoch() const;
  const Dataset& dataset() const { return *dataset_; }

 private:
  void stop_workers();
  void worker_loop();
  Batch load(size_t batch_number) const;

  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  std::vector<std::vector<size_t>> batches_;
  size_t next_to_hand_out_ = 0;  // consumer position
  size_t next_to_load_ = 0;      // worker position

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<size_t, Batch> ready_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace unirep::sdk
