#include "sdk/train/data_loader.h"

#include <ATen/ATen.h>

#include <sstream>
#include <stdexcept>

namespace unirep::sdk {

Batch collate(const std::vector<Example>& examples, std::vector<size_t> indices) {
  if (examples.empty()) throw std::invalid_argument("cannot collate an empty batch");
  std::vector<at::Tensor> inputs, targets;
  for (const auto& e : examples) {
    if (!inputs.empty() && e.input.sizes() != inputs.front().sizes()) {
      std::ostringstream ss;
      ss << "example " << indices[inputs.size()] << " has input shape " << e.input.sizes() << ", the batch has "
         << inputs.front().sizes();
      throw std::invalid_argument(ss.str());
    }
    inputs.push_back(e.input);
    targets.push_back(e.target);
  }
  return {at::stack(inputs), at::stack(targets), std::move(indices)};
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  if (!dataset_) throw std::invalid_argument("data loader needs a dataset");
  if (options_.batch_size == 0) throw std::invalid_argument("batch size must be positive");
  if (options_.prefetch == 0) options_.prefetch = 1;
}

DataLoader::~DataLoader() {
  stop_workers();
}

size_t DataLoader::batches_per_epoch() const {
  return epoch_batches(dataset_->size(), options_.batch_size, 0, options_.sampler).size();
}

Batch DataLoader::load(size_t b) const {
  std::vector<Example> examples;
  for (size_t i : batches_[b]) examples.push_back(dataset_->get(i));
  return collate(examples, batches_[b]);
}

void DataLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  stopping_ = false;
}

void DataLoader::start_epoch(int64_t epoch, size_t skip_batches) {
  stop_workers();
  batches_ = epoch_batches(dataset_->size(), options_.batch_size, epoch, options_.sampler);
  next_to_hand_out_ = next_to_load_ = std::min(skip_batches, batches_.size());
  ready_.clear();
  error_ = nullptr;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void DataLoader::worker_loop() {
  while (true) {
    size_t b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stopping_ || next_to_load_ >= batches_.size() || next_to_load_ < next_to_hand_out_ + options_.prefetch;
      });
      if (stopping_ || next_to_load_ >= batches_.size()) return;
      b = next_to_load_++;
    }
    try {
      Batch batch = load(b);
      std::lock_guard<std::mutex> lock(mu_);
      ready_.emplace(b, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
    cv_.notify_all();
  }
}

std::optional<Batch> DataLoader::next() {
  if (next_to_hand_out_ >= batches_.size()) return std::nullopt;
  const size_t b = next_to_hand_out_;
  if (workers_.empty()) {
    ++next_to_hand_out_;
    return load(b);
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return error_ || ready_.count(b); });
  if (error_) std::rethrow_exception(error_);
  Batch batch = std::move(ready_.at(b));
  ready_.erase(b);
  ++next_to_hand_out_;
  lock.unlock();
  cv_.notify_all();
  return batch;
}

}  // namespace unirep::sdk
