#include "pickler.h"

#include <ATen/ATen.h>

#include <cstring>
#include <stdexcept>
#include <unordered_map>

namespace unirep::io {
namespace {

constexpr int kMaxDepth = 100;  // matches the reader, so whatever we write we can read back

const char* storage_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return "FloatStorage";
    case at::kDouble:
      return "DoubleStorage";
    case at::kHalf:
      return "HalfStorage";
    case at::kBFloat16:
      return "BFloat16Storage";
    case at::kLong:
      return "LongStorage";
    case at::kInt:
      return "IntStorage";
    case at::kShort:
      return "ShortStorage";
    case at::kChar:
      return "CharStorage";
    case at::kByte:
      return "ByteStorage";
    case at::kBool:
      return "BoolStorage";
    default:
      return nullptr;
  }
}

// Python decodes BINUNICODE as UTF-8 and fails on anything else, so that is checked here rather
// than discovered by whoever loads the file.
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80)
      n = 0, cp = c;
    else if ((c & 0xe0) == 0xc0)
      n = 1, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
      n = 2, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
      n = 3, cp = c & 0x07;
    else
      return false;
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

class Pickler {
 public:
  PickledCheckpoint result;

  void value(const PyValue& v, int depth) {
    if (depth > kMaxDepth) throw std::invalid_argument("values nested deeper than 100 levels");
    switch (v.kind()) {
      case PyValue::Kind::None:
        op('N');
        break;
      case PyValue::Kind::Bool:
        op(v.as_bool() ? 0x88 : 0x89);
        break;
      case PyValue::Kind::Int:
        integer(v.as_int());
        break;
      case PyValue::Kind::Float:
        binfloat(v.as_float());
        break;
      case PyValue::Kind::String:
        string(v.as_string());
        break;
      case PyValue::Kind::Bytes:
        bytes(v.as_string());
        break;
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
          // What Python writes for OrderedDict under protocol 2: OrderedDict() then SETITEMS.
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
      case PyValue::Kind::Tensor:
        tensor(v.as_tensor());
        break;
      case PyValue::Kind::Unsupported:
        throw std::invalid_argument("cannot write an unsupported object (" + v.type_name() + ")");
    }
  }

  void op(unsigned char c) { result.pickle.push_back(static_cast<char>(c)); }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) result.pickle.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 0x100) {
      op('K');
      le(static_cast<uint64_t>(v), 1);
    } else if (v >= 0 && v < 0x10000) {
      op('M');
      le(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      op(0x8a);  // LONG1 with 8 two's-complement bytes (Python would trim them; both read the same)
      op(8);
      le(static_cast<uint64_t>(v), 8);
    }
  }
  void binfloat(double d) {
    op('G');
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    for (int i = 7; i >= 0; --i) result.pickle.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  void string(const std::string& s) {
    if (!valid_utf8(s)) throw std::invalid_argument("string is not valid UTF-8");
    if (s.size() > 0xffffffffu) throw std::invalid_argument("string longer than 4 GiB");
    op('X');
    le(s.size(), 4);
    result.pickle += s;
  }
  // Protocol 2 has no bytes opcode; Python 3 writes _codecs.encode(<bytes as latin-1 text>, 'latin1').
  void bytes(const std::string& b) {
    global("_codecs", "encode");
    std::string text;
    text.reserve(b.size());
    for (unsigned char c : b) {
      if (c < 0x80) {
        text.push_back(static_cast<char>(c));
      } else {
        text.push_back(static_cast<char>(0xc0 | (c >> 6)));
        text.push_back(static_cast<char>(0x80 | (c & 0x3f)));
      }
    }
    string(text);
    string("latin1");
    op(0x86);  // TUPLE2
    op('R');
  }
  void global(const char* module, const char* name) {
    op('c');
    result.pickle += module;
    result.pickle += '\n';
    result.pickle += name;
    result.pickle += '\n';
  }
  // torch._utils._rebuild_tensor_v2(<persistent storage>, 0, size, stride, False, OrderedDict()).
  void tensor(const at::Tensor& t_in) {
    const char* type = storage_type(t_in.scalar_type());
    if (!type)
      throw std::invalid_argument(std::string("cannot write a tensor of dtype ") + at::toString(t_in.scalar_type()));
    // The same tensor object twice (tied weights) shares one storage record, as torch.save does.
    auto known = keys_.find(t_in.unsafeGetTensorImpl());
    std::string key;
    at::Tensor t;
    if (known != keys_.end()) {
      key = std::to_string(known->second);
      t = result.storages[known->second];
    } else {
      t = t_in.detach().to(at::kCPU).contiguous();
      key = std::to_string(result.storages.size());
      // The tree being written keeps every tensor alive, so an impl address stays unique.
      keys_.emplace(t_in.unsafeGetTensorImpl(), result.storages.size());
      result.storages.push_back(t);
    }
    global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    op('(');
    string("storage");
    global("torch", type);
    string(key);
    string("cpu");
    integer(t.numel());
    op('t');
    op('Q');  // BINPERSID
    integer(0);
    op('(');
    for (auto s : t.sizes()) integer(s);
    op('t');
    op('(');
    for (auto s : t.strides()) integer(s);
    op('t');
    op(0x89);  // requires_grad=False
    global("collections", "OrderedDict");
    op(')');
    op('R');
    op('t');
    op('R');
  }

  std::unordered_map<const void*, size_t> keys_;
};

}  // namespace

PickledCheckpoint pickle_checkpoint(const PyValue& root) {
  Pickler p;
  p.op(0x80);  // PROTO 2
  p.op(2);
  p.value(root, 0);
  p.op('.');
  return std::move(p.result);
}

}  // namespace unirep::io
