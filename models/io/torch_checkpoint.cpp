// torch.save checkpoints: reading (zip + restricted unpickler) and writing (pickle protocol 2 + zip).
#include <unirep/io/torch_checkpoint.h>

#include <unirep/io/atomic_file.h>
#include <unirep/io/format_error.h>

#include "file_reader.h"
#include "unpickler.h"
#include "zip_archive.h"

#include <ATen/ATen.h>

#include <cstring>

namespace unirep::io {
namespace {

constexpr uint64_t kMaxPickle = 1u << 30;

// ---- writing: a protocol-2 pickler for PyValue trees -------------------------------------------

class Pickler {
 public:
  std::string out;
  std::vector<at::Tensor> storages;  // written as data/0, data/1, ...

  void value(const PyValue& v, int depth = 0) {
    if (depth > 100) throw std::invalid_argument("checkpoint nesting deeper than 100 levels");
    switch (v.kind()) {
      case PyValue::Kind::None: op('N'); break;
      case PyValue::Kind::Bool: op(v.as_bool() ? 0x88 : 0x89); break;
      case PyValue::Kind::Int: integer(v.as_int()); break;
      case PyValue::Kind::Float: {
        op('G');
        double d = v.as_float();
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
        break;
      }
      case PyValue::Kind::String: string(v.as_string()); break;
      case PyValue::Kind::Bytes: {
        // Protocol 2 has no bytes opcode; Python writes _codecs.encode(latin-1 str, 'latin1').
        global("_codecs", "encode");
        std::string latin1;
        for (unsigned char c : v.as_string()) {
          if (c < 0x80) latin1.push_back(c);
          else latin1 += {static_cast<char>(0xc0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3f))};
        }
        string(latin1);
        string("latin1");
        op(0x86);
        op('R');
        break;
      }
      case PyValue::Kind::List:
        op(']');
        if (!v.items().empty()) {
          op('(');
          for (const auto& e : v.items()) value(e, depth + 1);
          op('e');
        }
        break;
      case PyValue::Kind::Tuple:
        op('(');
        for (const auto& e : v.items()) value(e, depth + 1);
        op('t');
        break;
      case PyValue::Kind::Dict:
        if (v.ordered()) {
          global("collections", "OrderedDict");
          op(')');
          op('R');
        } else {
          op('}');
        }
        if (!v.dict_items().empty()) {
          op('(');
          for (const auto& [k, val] : v.dict_items()) {
            value(k, depth + 1);
            value(val, depth + 1);
          }
          op('u');
        }
        break;
      case PyValue::Kind::Tensor: tensor(v.as_tensor()); break;
      case PyValue::Kind::Unsupported:
        throw std::invalid_argument("cannot write an unsupported object (" + v.type_name() + ")");
    }
  }

 private:
  void op(unsigned char c) { out.push_back(static_cast<char>(c)); }
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      le(v, 1);
    } else if (v >= 0 && v < 65536) {
      op('M');
      le(v, 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      le(static_cast<uint32_t>(v), 4);
    } else {
      op(0x8a);
      op(8);
      le(static_cast<uint64_t>(v), 8);
    }
  }
  void string(const std::string& s) {
    op('X');
    le(s.size(), 4);
    out += s;
  }
  void global(const char* module, const char* name) {
    op('c');
    out += module;
    out += '\n';
    out += name;
    out += '\n';
  }
  void tensor(const at::Tensor& t_in) {
    auto t = t_in.detach().to(at::kCPU).contiguous();
    const char* storage = nullptr;
    switch (t.scalar_type()) {
      case at::kFloat: storage = "FloatStorage"; break;
      case at::kDouble: storage = "DoubleStorage"; break;
      case at::kHalf: storage = "HalfStorage"; break;
      case at::kBFloat16: storage = "BFloat16Storage"; break;
      case at::kLong: storage = "LongStorage"; break;
      case at::kInt: storage = "IntStorage"; break;
      case at::kShort: storage = "ShortStorage"; break;
      case at::kChar: storage = "CharStorage"; break;
      case at::kByte: storage = "ByteStorage"; break;
      case at::kBool: storage = "BoolStorage"; break;
      default: throw std::invalid_argument(std::string("cannot write a tensor of dtype ") + at::toString(t.scalar_type()));
    }
    const std::string key = std::to_string(storages.size());
    storages.push_back(t);
    global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    op('(');  // persistent id
    string("storage");
    global("torch", storage);
    string(key);
    string("cpu");
    integer(t.numel());
    op('t');
    op('Q');
    integer(0);  // storage offset
    op('(');
    for (auto s : t.sizes()) integer(s);
    op('t');
    op('(');
    for (auto s : t.strides()) integer(s);
    op('t');
    op(0x89);  // requires_grad False
    global("collections", "OrderedDict");
    op(')');
    op('R');
    op('t');
    op('R');
  }
};

std::string archive_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  auto dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  std::string clean;
  for (char c : base) clean.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '_');
  return clean.empty() ? "archive" : clean;
}

}  // namespace

PyValue read_torch_checkpoint(const std::string& path, std::vector<std::string>* warnings) {
  auto file = std::make_shared<FileReader>(path);
  unsigned char magic[4] = {0, 0, 0, 0};
  if (file->size() >= 4) file->read_at(0, magic, 4, "magic");
  if (!(magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4)) {
    if (magic[0] == 0x80) throw FormatError(path, "legacy (pre-1.6, non-zip) torch.save format is not supported; re-save with a current PyTorch");
    throw FormatError(path, "not a PyTorch checkpoint (no zip magic)");
  }
  ZipReader zip(file);
  const ZipReader::Entry* pkl = nullptr;
  for (const auto& e : zip.entries()) {
    const std::string suffix = "/data.pkl";
    if (e.name.size() > suffix.size() && e.name.compare(e.name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        e.name.find('/') == e.name.size() - suffix.size()) {
      if (pkl) throw FormatError(path, "more than one data.pkl in the archive");
      pkl = &e;
    }
  }
  if (!pkl) throw FormatError(path, "no <folder>/data.pkl in the archive (not a torch.save checkpoint)");
  if (pkl->size > kMaxPickle) throw FormatError(path, "data.pkl is larger than 1 GiB");
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - std::strlen("data.pkl"));
  const std::string data = zip.read(*pkl);

  auto load_storage = [&](const StorageRef& ref) {
    const auto* rec = zip.find(prefix + "data/" + ref.key);
    if (!rec) throw FormatError(path, "storage record '" + prefix + "data/" + ref.key + "' is missing");
    const uint64_t item = at::elementSize(ref.dtype);
    if (static_cast<uint64_t>(ref.numel) > rec->size / item)
      throw FormatError(path, "record '" + rec->name + "' is " + std::to_string(rec->size) + " bytes, its storage needs " +
                                  std::to_string(ref.numel) + " x " + std::to_string(item));
    auto t = at::empty({ref.numel}, at::TensorOptions().dtype(ref.dtype));
    if (ref.numel > 0) zip.read_into(*rec, t.data_ptr(), ref.numel * item);
    if (ref.dtype == at::kBool && ref.numel > 0 && t.view(at::kByte).gt(1).any().item<bool>())
      throw FormatError(path, "record '" + rec->name + "' holds invalid bool values");
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
  Pickler pickler;
  pickler.out = "\x80\x02";
  try {
    pickler.value(root);
  } catch (const std::invalid_argument& e) {
    throw FormatError(path, e.what());
  }
  pickler.out.push_back('.');
  const std::string dir = archive_name(path) + "/";
  AtomicFile out(path);
  ZipWriter zip(out);
  zip.add(dir + "data.pkl", pickler.out);
  zip.add(dir + "byteorder", std::string("little"));
  for (size_t i = 0; i < pickler.storages.size(); ++i) {
    const auto& t = pickler.storages[i];
    zip.add(dir + "data/" + std::to_string(i), t.data_ptr(), t.numel() * t.element_size());
  }
  zip.add(dir + "version", std::string("3\n"));
  zip.finish();
  out.commit();
}

PyValue state_dict_value(const NamedTensors& tensors) {
  PyValue::DictItems items;
  for (const auto& nt : tensors) items.emplace_back(PyValue::string(nt.name), PyValue::tensor(nt.tensor));
  return PyValue::dict(std::move(items), /*ordered=*/true);
}

}  // namespace unirep::io
