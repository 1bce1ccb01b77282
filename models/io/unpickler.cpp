#include "unpickler.h"

#include <unirep/io/format_error.h>

#include <ATen/ATen.h>

#include <cstring>
#include <limits>
#include <unordered_map>

namespace unirep::io {
namespace {

constexpr size_t kMaxStack = 1u << 20;

at::ScalarType storage_dtype(const std::string& name, bool* ok) {
  static const std::unordered_map<std::string, at::ScalarType> types = {
      {"torch.FloatStorage", at::kFloat}, {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
      {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong}, {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort}, {"torch.CharStorage", at::kChar}, {"torch.ByteStorage", at::kByte},
      {"torch.BoolStorage", at::kBool}};
  auto it = types.find(name);
  *ok = it != types.end();
  return *ok ? it->second : at::kFloat;
}

// GLOBALs are pushed as "class objects": an Unsupported value whose name starts with this marker.
const std::string kGlobal = "global:";
bool is_global(const PyValue& v, std::string* name) {
  if (v.kind() != PyValue::Kind::Unsupported || v.type_name().rfind(kGlobal, 0) != 0) return false;
  *name = v.type_name().substr(kGlobal.size());
  return true;
}

class Unpickler {
 public:
  Unpickler(const std::string& data, const std::string& source, const StorageLoader& loader)
      : d_(data), source_(source), load_(loader) {}

  PyValue run() {
    while (true) {
      if (pos_ >= d_.size()) fail("pickle ends without STOP (truncated)");
      const size_t at_op = pos_;
      const unsigned char op = byte();
      switch (op) {
        case 0x80: byte(); break;                 // PROTO
        case 0x95: take(8); break;                // FRAME (length is advisory)
        case '.':                                 // STOP
          if (stack_.size() != 1) fail("pickle stack does not hold exactly one value at STOP");
          return stack_.back();
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '}': push(PyValue::dict()); break;
        case ']': push(PyValue::list()); break;
        case ')': push(PyValue::tuple()); break;
        case 't': push(PyValue::tuple(pop_mark())); break;
        case 0x85: push(PyValue::tuple(pop_n(1))); break;
        case 0x86: push(PyValue::tuple(pop_n(2))); break;
        case 0x87: push(PyValue::tuple(pop_n(3))); break;
        case 'N': push(PyValue::none()); break;
        case 0x88: push(PyValue::boolean(true)); break;
        case 0x89: push(PyValue::boolean(false)); break;
        case 'K': push(PyValue::integer(byte())); break;
        case 'M': push(PyValue::integer(static_cast<int64_t>(le(2)))); break;
        case 'J': push(PyValue::integer(static_cast<int32_t>(le(4)))); break;
        case 0x8a: push(PyValue::integer(long_bytes(byte()))); break;  // LONG1
        case 0x8b: push(PyValue::integer(long_bytes(le(4)))); break;   // LONG4
        case 'G': push(PyValue::floating(binfloat())); break;
        case 'X': push(PyValue::string(take(le(4)))); break;     // BINUNICODE
        case 0x8c: push(PyValue::string(take(byte()))); break;   // SHORT_BINUNICODE
        case 0x8d: push(PyValue::string(take(le(8)))); break;    // BINUNICODE8
        case 'T': push(PyValue::string(take(le(4)))); break;     // BINSTRING
        case 'U': push(PyValue::string(take(byte()))); break;    // SHORT_BINSTRING
        case 'B': push(PyValue::bytes(take(le(4)))); break;      // BINBYTES
        case 'C': push(PyValue::bytes(take(byte()))); break;     // SHORT_BINBYTES
        case 'q': memo_[static_cast<uint32_t>(byte())] = top(); break;   // BINPUT
        case 'r': memo_[static_cast<uint32_t>(le(4))] = top(); break;    // LONG_BINPUT
        case 0x94: memo_[static_cast<uint32_t>(memo_.size())] = top(); break;  // MEMOIZE
        case 'h': push(memo(byte())); break;                     // BINGET
        case 'j': push(memo(static_cast<uint32_t>(le(4)))); break;  // LONG_BINGET
        case '0': pop(); break;                                  // POP
        case '1': pop_mark(); break;                             // POP_MARK
        case '2': push(top()); break;                            // DUP
        case 'c': {                                              // GLOBAL
          std::string module = line(), name = line();
          push(PyValue::unsupported(kGlobal + module + "." + name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          auto name = pop(), module = pop();
          if (!module.is_string() || !name.is_string()) fail("STACK_GLOBAL needs two strings");
          push(PyValue::unsupported(kGlobal + module.as_string() + "." + name.as_string()));
          break;
        }
        case 'Q': push(persistent(pop())); break;  // BINPERSID
        case 'R': {                                // REDUCE
          auto args = pop();
          auto callable = pop();
          push(reduce(callable, args));
          break;
        }
        case 0x81: {  // NEWOBJ: cls.__new__(cls, *args) -- never run; the object stays inert
          pop();
          auto cls = pop();
          std::string name;
          push(PyValue::unsupported(is_global(cls, &name) ? name : "object"));
          break;
        }
        case 'b': pop(); break;  // BUILD: state is dropped (e.g. a state dict's _metadata)
        case 'a': {              // APPEND
          auto v = pop();
          list_of(top()).push_back(std::move(v));
          break;
        }
        case 'e': {  // APPENDS
          auto vs = pop_mark();
          auto& l = list_of(top());
          for (auto& v : vs) l.push_back(std::move(v));
          break;
        }
        case 's': {  // SETITEM
          auto v = pop();
          auto k = pop();
          dict_of(top()).emplace_back(std::move(k), std::move(v));
          break;
        }
        case 'u': {  // SETITEMS
          auto kvs = pop_mark();
          if (kvs.size() % 2) fail("SETITEMS with an odd number of items");
          auto& d = dict_of(top());
          for (size_t i = 0; i < kvs.size(); i += 2) d.emplace_back(std::move(kvs[i]), std::move(kvs[i + 1]));
          break;
        }
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(std::string("unsupported pickle opcode ") + hex + " at byte " + std::to_string(at_op));
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw FormatError(source_, "data.pkl: " + what); }

  unsigned char byte() {
    if (pos_ >= d_.size()) fail("truncated pickle");
    return static_cast<unsigned char>(d_[pos_++]);
  }
  uint64_t le(int n) {
    if (d_.size() - pos_ < static_cast<size_t>(n)) fail("truncated pickle");
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d_[pos_ + i]);
    pos_ += n;
    return v;
  }
  std::string take(uint64_t n) {
    if (n > d_.size() - pos_) fail("a string of " + std::to_string(n) + " bytes runs past the end of the pickle");
    std::string s = d_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string line() {
    auto end = d_.find('\n', pos_);
    if (end == std::string::npos || end - pos_ > 256) fail("malformed GLOBAL");
    std::string s = d_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  int64_t long_bytes(uint64_t n) {
    if (n > 8) fail("integer wider than 64 bits");
    auto s = take(n);
    if (n == 0) return 0;
    uint64_t v = 0;
    for (int i = static_cast<int>(n) - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
    if (n < 8 && (static_cast<unsigned char>(s[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
    return static_cast<int64_t>(v);
  }
  double binfloat() {
    uint64_t bits = 0;
    auto s = take(8);
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(s[i]);  // big-endian
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }

  void push(PyValue v) {
    if (stack_.size() >= kMaxStack) fail("pickle stack too deep");
    stack_.push_back(std::move(v));
  }
  PyValue pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("pickle stack underflow");
    auto v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  const PyValue& top() {
    if (stack_.empty()) fail("pickle stack underflow");
    return stack_.back();
  }
  PyValue::Items pop_n(size_t n) {
    PyValue::Items items(n);
    for (size_t i = n; i-- > 0;) items[i] = pop();
    return items;
  }
  PyValue::Items pop_mark() {
    if (marks_.empty()) fail("MARK expected");
    const size_t m = marks_.back();
    marks_.pop_back();
    if (m > stack_.size()) fail("corrupt MARK");
    PyValue::Items items(std::make_move_iterator(stack_.begin() + m), std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return items;
  }
  PyValue memo(uint32_t i) {
    auto it = memo_.find(i);
    if (it == memo_.end()) fail("memo entry " + std::to_string(i) + " is read before it is written");
    return it->second;
  }
  PyValue::Items& list_of(const PyValue& v) {
    if (v.kind() != PyValue::Kind::List) fail("APPEND to a " + v.describe());
    return const_cast<PyValue&>(v).items();
  }
  PyValue::DictItems& dict_of(const PyValue& v) {
    if (!v.is_dict()) {
      // SETITEM on an inert object (e.g. a custom class's __dict__): keep the pickle consistent, drop the data.
      if (v.kind() == PyValue::Kind::Unsupported) return scratch_dict_;
      fail("SETITEM on a " + v.describe());
    }
    return const_cast<PyValue&>(v).dict_items();
  }

  PyValue persistent(const PyValue& pid) {
    // ('storage', <storage type GLOBAL>, key, location, numel)
    if (pid.kind() != PyValue::Kind::Tuple || pid.items().size() < 5) fail("unsupported persistent id");
    const auto& it = pid.items();
    std::string type;
    if (!it[0].is_string() || it[0].as_string() != "storage" || !is_global(it[1], &type) || !it[2].is_string() ||
        it[4].kind() != PyValue::Kind::Int)
      fail("malformed storage reference");
    bool ok = false;
    const auto dtype = storage_dtype(type, &ok);
    if (!ok) fail("unsupported storage type " + type);
    const auto numel = it[4].as_int();
    if (numel < 0) fail("negative storage size");
    auto cached = storages_.find(it[2].as_string());
    if (cached != storages_.end()) return PyValue::tensor(cached->second);
    auto t = load_(StorageRef{dtype, it[2].as_string(), numel});
    storages_[it[2].as_string()] = t;
    return PyValue::tensor(t);
  }

  std::vector<int64_t> int_tuple(const PyValue& v, const char* what) {
    if (v.kind() != PyValue::Kind::Tuple) fail(std::string(what) + " must be a tuple");
    std::vector<int64_t> out;
    for (const auto& e : v.items()) {
      if (e.kind() != PyValue::Kind::Int || e.as_int() < 0) fail(std::string(what) + " must hold non-negative ints");
      out.push_back(e.as_int());
    }
    return out;
  }

  PyValue rebuild_tensor(const PyValue& args) {
    if (args.kind() != PyValue::Kind::Tuple || args.items().size() < 4) fail("malformed _rebuild_tensor_v2 arguments");
    const auto& a = args.items();
    if (!a[0].is_tensor() || a[1].kind() != PyValue::Kind::Int) fail("malformed _rebuild_tensor_v2 arguments");
    const auto& storage = a[0].as_tensor();
    const int64_t offset = a[1].as_int();
    auto size = int_tuple(a[2], "tensor size");
    auto stride = int_tuple(a[3], "tensor stride");
    if (size.size() != stride.size() || size.size() > 64) fail("tensor size and stride disagree");
    // The furthest element must lie inside the storage (checked with overflow-safe arithmetic).
    uint64_t extent = 0, numel = 1;
    for (size_t i = 0; i < size.size(); ++i) {
      if (size[i] == 0) numel = 0;
      const uint64_t s = static_cast<uint64_t>(size[i]), st = static_cast<uint64_t>(stride[i]);
      if (s > 0 && st > 0 && (s - 1) > (std::numeric_limits<uint64_t>::max() / 2 - extent) / st) fail("tensor extent overflows");
      if (s > 0) extent += (s - 1) * st;
      if (s > 0 && numel > std::numeric_limits<uint64_t>::max() / s) fail("tensor size overflows");
      numel *= s;
    }
    if (offset < 0) fail("negative storage offset");
    if (numel > 0 && static_cast<uint64_t>(offset) + extent >= static_cast<uint64_t>(storage.numel()))
      fail("tensor view (offset " + std::to_string(offset) + ", extent " + std::to_string(extent + 1) +
           ") does not fit its storage of " + std::to_string(storage.numel()) + " elements");
    return PyValue::tensor(storage.as_strided(size, stride, offset));
  }

  PyValue reduce(const PyValue& callable, const PyValue& args) {
    std::string name;
    if (!is_global(callable, &name)) {
      // Calling the result of an earlier call, e.g. a skipped object: stays inert.
      return PyValue::unsupported(callable.kind() == PyValue::Kind::Unsupported ? callable.type_name() : "object");
    }
    if (name == "collections.OrderedDict") return PyValue::dict({}, /*ordered=*/true);
    if (name == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(args);
    if (name == "torch._utils._rebuild_parameter") {
      if (args.kind() != PyValue::Kind::Tuple || args.items().empty() || !args.items()[0].is_tensor())
        fail("malformed _rebuild_parameter arguments");
      return args.items()[0];
    }
    if (name == "_codecs.encode") {
      if (args.kind() != PyValue::Kind::Tuple || args.items().empty() || !args.items()[0].is_string())
        fail("malformed _codecs.encode arguments");
      // Protocol 2 bytes: a latin-1 str of the byte values, encoded back.
      const auto& s = args.items()[0].as_string();
      std::string out;
      for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = s[i];
        if (c < 0x80) out.push_back(c);
        else if ((c & 0xe0) == 0xc0 && i + 1 < s.size()) out.push_back(static_cast<char>(((c & 0x1f) << 6) | (s[++i] & 0x3f)));
        else fail("malformed latin-1 bytes");
      }
      return PyValue::bytes(out);
    }
    return PyValue::unsupported(name);  // never executed
  }

  const std::string& d_;
  const std::string& source_;
  const StorageLoader& load_;
  size_t pos_ = 0;
  std::vector<PyValue> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, PyValue> memo_;
  std::unordered_map<std::string, at::Tensor> storages_;
  PyValue::DictItems scratch_dict_;
};

void collect_warnings(const PyValue& v, const std::string& path, int depth, std::vector<std::string>& out) {
  if (depth > 100) {
    out.push_back(path + ": nesting deeper than 100 levels was not inspected");
    return;
  }
  const std::string where = path.empty() ? "(root)" : path;
  switch (v.kind()) {
    case PyValue::Kind::Unsupported: {
      std::string name = v.type_name();
      if (name.rfind(kGlobal, 0) == 0) name = name.substr(kGlobal.size());
      out.push_back(where + ": skipped " + name + " (not a type a checkpoint reader may build)");
      break;
    }
    case PyValue::Kind::Dict:
      for (const auto& [k, val] : v.dict_items()) {
        const std::string key = k.is_string() ? k.as_string() : (k.kind() == PyValue::Kind::Int ? std::to_string(k.as_int()) : "?");
        collect_warnings(val, path.empty() ? key : path + "." + key, depth + 1, out);
      }
      break;
    case PyValue::Kind::List:
    case PyValue::Kind::Tuple:
      for (size_t i = 0; i < v.items().size(); ++i)
        collect_warnings(v.items()[i], path + "[" + std::to_string(i) + "]", depth + 1, out);
      break;
    default: break;
  }
}

}  // namespace

PyValue unpickle(const std::string& data, const std::string& source, const StorageLoader& load_storage) {
  return Unpickler(data, source, load_storage).run();
}

std::vector<std::string> unsupported_warnings(const PyValue& root) {
  std::vector<std::string> out;
  collect_warnings(root, "", 0, out);
  return out;
}

}  // namespace unirep::io
