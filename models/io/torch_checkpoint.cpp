// torch.save checkpoints: a zip of data.pkl, data/<key> storage records and version.
#include "models/io/torch_checkpoint.h"

#include "models/io/atomic_file.h"
#include "models/io/format_error.h"

#include "pickler.h"
#include "unpickler.h"
#include "zip_archive.h"
#include "zip_writer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace unirep::io {
namespace {

// A state dict of ~100k tensors pickles to ~15 MB; anything past this is not a checkpoint.
constexpr uint64_t kMaxPickle = uint64_t{256} << 20;
constexpr uint64_t kMaxVersionRecord = 64;
// Serialization versions torch.load accepts (PyTorch's kMinSupportedFileFormatVersion..kMaxSupported).
constexpr int64_t kMinVersion = 1, kMaxVersion = 10;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// torch.save names the archive's top folder after the file's stem ("model" for model.pth);
// characters a zip name should not hold are replaced.
std::string archive_folder(const std::string& path) {
  const auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const auto dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  std::string clean;
  for (char c : base)
    clean.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ? c : '_');
  return clean.empty() || clean == "." || clean == ".." ? "archive" : clean;
}

// Storage records are read as little-endian; an archive that says otherwise would come out garbled.
void check_byteorder(const ZipReader& zip, const std::string& folder) {
  const auto* rec = zip.find(folder + "byteorder");
  if (!rec) return;  // written only since PyTorch 2.0; older files are little-endian
  if (rec->size > kMaxVersionRecord || zip.read(*rec) != "little")
    throw FormatError(zip.path(),
                      "record '" + rec->name + "' does not say 'little'; big-endian checkpoints are not supported");
}

void check_version(const ZipReader& zip, const std::string& folder) {
  const auto* rec = zip.find(folder + "version");
  if (!rec) return;  // torch.load insists on it; its absence does not stop us reading the rest
  if (rec->size > kMaxVersionRecord) throw FormatError(zip.path(), "record '" + rec->name + "' is too large");
  const std::string text = zip.read(*rec);
  int64_t v = 0;
  size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && v < 1000000; ++i)
    v = v * 10 + (text[i] - '0');
  const bool clean = i > 0 && (i == text.size() || (text.substr(i) == "\n"));
  if (!clean || v < kMinVersion || v > kMaxVersion)
    throw FormatError(zip.path(),
                      "unsupported serialization version '" + text.substr(0, 16) + "' in '" + rec->name + "'");
}

}  // namespace

PyValue read_torch_checkpoint(const std::string& path, std::vector<std::string>* warnings) {
  {
    // A clear message for the formats this is not, before the zip reader's generic complaint.
    FileReader probe(path);
    unsigned char magic[4] = {0, 0, 0, 0};
    probe.read_at(0, magic, std::min<uint64_t>(4, probe.size()), "magic");
    if (magic[0] == 0x80 && magic[1] <= 5)
      throw FormatError(
          path,
          "legacy (non-zip) torch.save format from PyTorch < 1.6 is not supported; re-save it with a current PyTorch");
    if (!(magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4))
      throw FormatError(path, "not a PyTorch checkpoint (no zip signature)");
  }
  ZipReader zip(path);

  // The pickle is <folder>/data.pkl for exactly one top-level folder.
  const ZipReader::Entry* pkl = nullptr;
  for (const auto& e : zip.entries()) {
    if (e.name.size() > 9 && ends_with(e.name, "/data.pkl") && e.name.find('/') == e.name.size() - 9) {
      if (pkl) throw FormatError(path, "more than one data.pkl in the archive ('" + pkl->name + "', '" + e.name + "')");
      pkl = &e;
    }
  }
  if (!pkl) throw FormatError(path, "no <folder>/data.pkl in the archive (not a torch.save checkpoint)");
  if (pkl->size > kMaxPickle)
    throw FormatError(
        path, "'" + pkl->name + "' is " + std::to_string(pkl->size) + " bytes, more than a checkpoint pickle can be");
  const std::string folder = pkl->name.substr(0, pkl->name.size() - 8);
  check_version(zip, folder);
  check_byteorder(zip, folder);
  const std::string data = zip.read(*pkl);

  auto load_storage = [&](const StorageRef& ref) {
    const std::string name = folder + "data/" + ref.key;
    const auto* rec = zip.find(name);
    if (!rec) throw FormatError(path, "storage record '" + name + "' is missing");
    const uint64_t item = at::elementSize(ref.dtype);
    const auto numel = static_cast<uint64_t>(ref.numel);
    // Checked before allocating: the storage can never be larger than its record in the file.
    if (numel > rec->size / item)
      throw FormatError(path, "record '" + name + "' is " + std::to_string(rec->size) + " bytes, its " +
                                  at::toString(ref.dtype) + " storage of " + std::to_string(numel) +
                                  " elements needs " +
                                  (numel > UINT64_MAX / item ? std::string("more") : std::to_string(numel * item)));
    at::Tensor t = at::empty({ref.numel}, at::TensorOptions().dtype(ref.dtype));
    zip.read_into(*rec, t.data_ptr(), numel * item);
    // A bool byte other than 0 or 1 is undefined behaviour for LibTorch's kernels.
    if (ref.dtype == at::kBool && numel > 0 && t.view(at::kByte).gt(1).any().item<bool>())
      throw FormatError(path, "record '" + name + "' holds bool values other than 0 and 1");
    return t;
  };
  PyValue root = unpickle(data, path, load_storage);
  if (warnings) {
    auto w = unsupported_warnings(root);
    warnings->insert(warnings->end(), w.begin(), w.end());
  }
  return root;
}

void write_torch_checkpoint(const std::string& path, const PyValue& root) {
  PickledCheckpoint pickled;
  try {
    pickled = pickle_checkpoint(root);
  } catch (const std::invalid_argument& e) {
    throw FormatError(path, std::string("cannot write checkpoint: ") + e.what());
  }
  const std::string folder = archive_folder(path) + "/";
  AtomicFile out(path);
  ZipWriter zip(out);
  // Record order as torch.save writes it.
  zip.add(folder + "data.pkl", pickled.pickle);
  zip.add(folder + "byteorder", std::string("little"));
  for (size_t i = 0; i < pickled.storages.size(); ++i) {
    const at::Tensor& t = pickled.storages[i];
    zip.add(folder + "data/" + std::to_string(i), t.data_ptr(), static_cast<uint64_t>(t.numel()) * t.element_size());
  }
  zip.add(folder + "version", std::string("3\n"));
  zip.finish();
  out.commit();
}

PyValue state_dict_value(const NamedTensors& tensors) {
  PyValue::DictItems items;
  items.reserve(tensors.size());
  for (const auto& nt : tensors) items.emplace_back(PyValue::string(nt.name), PyValue::tensor(nt.tensor));
  return PyValue::dict(std::move(items), /*ordered=*/true);
}

}  // namespace unirep::io
