#include "unpickler.h"

#include "models/io/format_error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <unordered_set>

namespace unirep::io {
namespace {

// Limits far above anything torch.save writes (a state dict pickle holds a handful of stack
// entries, ~10 memo entries per tensor and nesting of 3 or 4), low enough that a hostile pickle
// cannot exhaust memory or the C++ stack (PyValue trees are destroyed recursively).
constexpr size_t kMaxStack = size_t{1} << 17;  // values on the stack; also open MARKs
constexpr size_t kMaxMemo = size_t{1} << 20;
constexpr int kMaxDepth = 100;
constexpr size_t kMaxDims = 64;
constexpr size_t kMaxGlobalName = 256;
// Everything built is charged against a budget proportional to the pickle: a real pickle builds
// well under 64 bytes of objects per byte of input, and the absolute cap keeps a large hostile one
// from allocating gigabytes through memo copies of strings and the like.
constexpr uint64_t kBudgetBase = uint64_t{256} << 20;
constexpr uint64_t kBudgetPerByte = 64;
constexpr uint64_t kBudgetMax = uint64_t{2} << 30;

const std::unordered_map<std::string, at::ScalarType>& storage_types() {
  static const std::unordered_map<std::string, at::ScalarType> types = {
      {"torch.FloatStorage", at::kFloat},       {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
      {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong},     {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},       {"torch.CharStorage", at::kChar},     {"torch.ByteStorage", at::kByte},
      {"torch.BoolStorage", at::kBool}};
  return types;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

class Unpickler {
 public:
  Unpickler(const std::string& data, const std::string& source, const StorageLoader& loader)
      : d_(data),
        source_(source),
        load_(loader),
        budget_(std::min(kBudgetMax, kBudgetBase + kBudgetPerByte * static_cast<uint64_t>(data.size()))) {}

  PyValue run() {
    while (true) {
      if (pos_ >= d_.size()) fail("the pickle ends without STOP (truncated)");
      const size_t at_op = pos_;
      const unsigned char op = byte();
      if (op == '.') {  // STOP
        if (stack_.size() != 1 || !marks_.empty()) fail("the pickle stack does not hold exactly one value at STOP");
        return std::move(stack_.back());
      }
      if (!(stack_op(op) || constant_op(op) || container_op(op) || object_op(op))) fail_unsupported(op, at_op);
    }
  }

  // Protocol, frames, marks, the memo and stack shuffling; false when `op` is none of them.
  bool stack_op(unsigned char op) {
    switch (op) {
      case 0x80: {  // PROTO
        const unsigned char proto = byte();
        if (proto > 5) fail("unknown pickle protocol " + std::to_string(proto));
        return true;
      }
      case 0x95:
        le(8);
        return true;  // FRAME: a read-ahead hint, the opcodes follow unchanged
      case '(':       // MARK
        if (marks_.size() >= kMaxStack) fail("too many open MARKs");
        marks_.push_back(stack_.size());
        return true;
      case 'q':
        memo_put(byte());
        return true;  // BINPUT
      case 'r':
        memo_put(le(4));
        return true;  // LONG_BINPUT
      case 0x94:
        memo_put(memo_.size());
        return true;  // MEMOIZE
      case 'h':
        push(memo_get(byte()));
        return true;  // BINGET
      case 'j':
        push(memo_get(le(4)));
        return true;  // LONG_BINGET
      case '0':
        pop();
        return true;  // POP
      case '1':
        pop_mark();
        return true;  // POP_MARK
      case '2':
        push(top());
        return true;  // DUP
      default:
        return false;
    }
  }

  // None, booleans, integers, floats, strings and bytes pushed as values.
  bool constant_op(unsigned char op) {
    switch (op) {
      case 'N':
        push(PyValue::none());
        return true;
      case 0x88:
        push(PyValue::boolean(true));
        return true;  // NEWTRUE
      case 0x89:
        push(PyValue::boolean(false));
        return true;  // NEWFALSE
      case 'K':
        push(PyValue::integer(byte()));
        return true;  // BININT1
      case 'M':
        push(PyValue::integer(static_cast<int64_t>(le(2))));
        return true;  // BININT2
      case 'J':
        push(PyValue::integer(static_cast<int32_t>(static_cast<uint32_t>(le(4)))));
        return true;  // BININT
      case 0x8a:
        push(PyValue::integer(long_bytes(byte())));
        return true;  // LONG1
      case 0x8b:
        push(PyValue::integer(long_bytes(le(4))));
        return true;  // LONG4
      case 'G':
        push(PyValue::floating(binfloat()));
        return true;  // BINFLOAT
      case 'X':
        push(PyValue::string(take(le(4))));
        return true;  // BINUNICODE
      case 0x8c:
        push(PyValue::string(take(byte())));
        return true;  // SHORT_BINUNICODE
      case 0x8d:
        push(PyValue::string(take(le(8))));
        return true;  // BINUNICODE8
      case 'T': {     // BINSTRING (length is signed)
        const auto n = static_cast<int32_t>(static_cast<uint32_t>(le(4)));
        if (n < 0) fail("BINSTRING with a negative length");
        push(PyValue::string(take(static_cast<uint64_t>(n))));
        return true;
      }
      case 'U':
        push(PyValue::string(take(byte())));
        return true;  // SHORT_BINSTRING
      case 'B':
        push(PyValue::bytes(take(le(4))));
        return true;  // BINBYTES
      case 'C':
        push(PyValue::bytes(take(byte())));
        return true;  // SHORT_BINBYTES
      case 0x8e:
        push(PyValue::bytes(take(le(8))));
        return true;  // BINBYTES8
      default:
        return false;
    }
  }

  // Tuples, lists and dicts: made, then filled by APPEND(S) and SETITEM(S).
  bool container_op(unsigned char op) {
    switch (op) {
      case '}':
        push(fresh(PyValue::dict()));
        return true;  // EMPTY_DICT
      case ']':
        push(fresh(PyValue::list()));
        return true;  // EMPTY_LIST
      case ')':
        push(fresh(PyValue::tuple()));
        return true;  // EMPTY_TUPLE
      case 't':
        push(make_tuple(pop_mark()));
        return true;  // TUPLE
      case 0x85:
        push(make_tuple(pop_n(1)));
        return true;  // TUPLE1
      case 0x86:
        push(make_tuple(pop_n(2)));
        return true;  // TUPLE2
      case 0x87:
        push(make_tuple(pop_n(3)));
        return true;  // TUPLE3
      case 'l': {     // LIST
        PyValue list = fresh(PyValue::list());
        for (auto& v : pop_mark()) append(list, std::move(v));
        push(std::move(list));
        return true;
      }
      case 'd': {  // DICT
        auto kvs = pop_mark();
        if (kvs.size() % 2) fail("DICT with an odd number of items");
        PyValue dict = fresh(PyValue::dict());
        for (size_t i = 0; i < kvs.size(); i += 2) set_item(dict, std::move(kvs[i]), std::move(kvs[i + 1]));
        push(std::move(dict));
        return true;
      }
      case 'a': {  // APPEND
        PyValue v = pop();
        append(top(), std::move(v));
        return true;
      }
      case 'e': {  // APPENDS
        auto vs = pop_mark();
        PyValue& list = top();
        for (auto& v : vs) append(list, std::move(v));
        return true;
      }
      case 's': {  // SETITEM
        PyValue v = pop();
        PyValue k = pop();
        set_item(top(), std::move(k), std::move(v));
        return true;
      }
      case 'u': {  // SETITEMS
        auto kvs = pop_mark();
        if (kvs.size() % 2) fail("SETITEMS with an odd number of items");
        PyValue& dict = top();
        for (size_t i = 0; i < kvs.size(); i += 2) set_item(dict, std::move(kvs[i]), std::move(kvs[i + 1]));
        return true;
      }
      default:
        return false;
    }
  }

  // Globals, persistent ids and object construction, which stay inert PyValues (docs/reference.md, Weight files).
  bool object_op(unsigned char op) {
    switch (op) {
      case 'c': {  // GLOBAL
        std::string module = global_part(), name = global_part();
        push(PyValue::unsupported(module + "." + name));
        return true;
      }
      case 0x93: {  // STACK_GLOBAL
        PyValue name = pop(), module = pop();
        if (!module.is_string() || !name.is_string()) fail("STACK_GLOBAL needs two strings");
        check_global_part(module.as_string());
        check_global_part(name.as_string());
        push(PyValue::unsupported(module.as_string() + "." + name.as_string()));
        return true;
      }
      case 'Q':
        push(persistent(pop()));
        return true;  // BINPERSID
      case 'R': {     // REDUCE
        PyValue args = pop();
        PyValue callable = pop();
        push(reduce(callable, args));
        return true;
      }
      case 0x81: {  // NEWOBJ
        pop();
        push(new_object(pop()));
        return true;
      }
      case 0x92: {  // NEWOBJ_EX
        pop();
        pop();
        push(new_object(pop()));
        return true;
      }
      case 'b': {  // BUILD: sets attributes (e.g. a state dict's _metadata); the state is dropped
        pop();
        top();
        return true;
      }
      default:
        return false;
    }
  }

  [[noreturn]] void fail_unsupported(unsigned char op, size_t at_op) {
    char name[48];
    if (op >= 0x20 && op < 0x7f)
      std::snprintf(name, sizeof name, "0x%02x ('%c')", op, op);
    else
      std::snprintf(name, sizeof name, "0x%02x", op);
    fail(std::string("unsupported pickle opcode ") + name + " at byte " + std::to_string(at_op));
  }

 private:
  // What the reader knows about each list, tuple and dict it built, keyed by the address of the
  // shared item vector (copies of a PyValue share it, like references to one Python object).
  struct Container {
    int height = 1;                                // 1 + the deepest child
    bool nested = false;                           // placed inside another container: from then on it must not change
    std::unordered_map<std::string, size_t> keys;  // dict only: key -> index, for Python's replace semantics
  };

  [[noreturn]] void fail(const std::string& what) const { throw FormatError(source_, "data.pkl: " + what); }

  // ---- reading the byte stream ----
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
    if (n > d_.size() - pos_)
      fail("a string of " + std::to_string(n) + " bytes at byte " + std::to_string(pos_) +
           " runs past the end of the pickle");
    std::string s = d_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  int64_t long_bytes(uint64_t n) {
    if (n > 8) fail("an integer wider than 64 bits");
    const std::string s = take(n);
    if (n == 0) return 0;
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(s[i]);
    if (n < 8 && (static_cast<unsigned char>(s[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);  // two's complement
    return static_cast<int64_t>(v);
  }
  double binfloat() {
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();  // big-endian IEEE 754
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  void check_global_part(const std::string& s) const {
    if (s.empty() || s.size() > kMaxGlobalName || !std::all_of(s.begin(), s.end(), is_name_char))
      fail("malformed GLOBAL name");
  }
  std::string global_part() {
    const size_t end = d_.find('\n', pos_);
    if (end == std::string::npos) fail("truncated GLOBAL");
    std::string s = d_.substr(pos_, std::min(end - pos_, kMaxGlobalName + 1));
    check_global_part(s);
    pos_ = end + 1;
    return s;
  }

  // ---- memory accounting ----
  void charge(uint64_t bytes) {
    if (bytes > budget_ - used_)
      fail("the pickle would build more than " + std::to_string(budget_ >> 20) + " MiB of objects");
    used_ += bytes;
  }
  static uint64_t cost(const PyValue& v) {
    uint64_t c = sizeof(PyValue);
    if (v.kind() == PyValue::Kind::String || v.kind() == PyValue::Kind::Bytes) c += v.as_string().size();
    if (v.kind() == PyValue::Kind::Unsupported) c += v.type_name().size();
    return c;
  }

  // ---- stack and memo ----
  void push(PyValue v) {
    if (stack_.size() >= kMaxStack) fail("the pickle stack grows beyond " + std::to_string(kMaxStack) + " values");
    charge(cost(v));
    stack_.push_back(std::move(v));
  }
  bool above_mark() const { return !stack_.empty() && (marks_.empty() || stack_.size() > marks_.back()); }
  PyValue pop() {
    if (!above_mark()) fail("pickle stack underflow at byte " + std::to_string(pos_ - 1));
    PyValue v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PyValue& top() {
    if (!above_mark()) fail("pickle stack underflow at byte " + std::to_string(pos_ - 1));
    return stack_.back();
  }
  PyValue::Items pop_n(size_t n) {
    PyValue::Items items(n);
    for (size_t i = n; i-- > 0;) items[i] = pop();
    return items;
  }
  PyValue::Items pop_mark() {
    if (marks_.empty()) fail("no MARK before byte " + std::to_string(pos_ - 1));
    const size_t m = marks_.back();
    marks_.pop_back();
    PyValue::Items items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(m)),
                         std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return items;
  }
  void memo_put(uint64_t index) {
    const PyValue& v = top();
    auto it = memo_.find(index);
    if (it == memo_.end()) {
      if (memo_.size() >= kMaxMemo) fail("the pickle memo grows beyond " + std::to_string(kMaxMemo) + " entries");
      charge(cost(v) + 32);
      memo_.emplace(index, v);
    } else {
      charge(cost(v));
      it->second = v;
    }
  }
  PyValue memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " is read before it is written");
    return it->second;
  }

  // ---- containers ----
  static const void* identity(const PyValue& v) {
    switch (v.kind()) {
      case PyValue::Kind::List:
      case PyValue::Kind::Tuple:
        return &v.items();
      case PyValue::Kind::Dict:
        return &v.dict_items();
      default:
        return nullptr;
    }
  }
  Container* info(const PyValue& v) {
    const void* id = identity(v);
    if (!id) return nullptr;
    auto it = containers_.find(id);
    return it == containers_.end() ? nullptr : &it->second;
  }
  int height(const PyValue& v) {
    const Container* c = info(v);
    return c ? c->height : 0;
  }
  // Registers a container built just now; an entry left by a freed one at the same address is replaced.
  PyValue fresh(PyValue v) {
    charge(sizeof(Container) + 64);
    containers_[identity(v)] = Container{};
    return v;
  }
  // Records `child` going into `parent`. Mutating a container after it was nested is the only way
  // to build cycles or to deepen a tree behind the depth check, and torch.save never does it.
  void adopt(const PyValue& parent, const PyValue& child) {
    if (Container* c = info(child)) c->nested = true;
    Container* p = info(parent);
    if (p->nested) fail("the pickle modifies a container after nesting it (recursive structures are not supported)");
    p->height = std::max(p->height, height(child) + 1);
    if (p->height > kMaxDepth) fail("values are nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  PyValue make_tuple(PyValue::Items items) {
    PyValue t = fresh(PyValue::tuple(std::move(items)));
    for (const auto& e : t.items()) adopt(t, e);
    return t;
  }
  void append(PyValue& list, PyValue v) {
    if (list.kind() == PyValue::Kind::Unsupported) return;  // e.g. a custom list subclass: stays inert
    if (list.kind() != PyValue::Kind::List) fail("APPEND to a " + list.describe());
    adopt(list, v);
    list.items().push_back(std::move(v));
  }
  static std::string key_text(const PyValue& k) {
    switch (k.kind()) {
      case PyValue::Kind::String:
        return "s" + k.as_string();
      case PyValue::Kind::Bytes:
        return "b" + k.as_string();
      case PyValue::Kind::Int:
      case PyValue::Kind::Bool:
        return "i" + std::to_string(k.as_int());  // True == 1 as a Python key
      default:
        return {};
    }
  }
  void set_item(PyValue& dict, PyValue k, PyValue v) {
    if (dict.kind() == PyValue::Kind::Unsupported) return;  // an inert object's attributes are dropped
    if (!dict.is_dict()) fail("SETITEM on a " + dict.describe());
    adopt(dict, k);
    adopt(dict, v);
    auto& items = dict.dict_items();
    const std::string key = key_text(k);
    if (!key.empty()) {
      auto [it, inserted] = info(dict)->keys.emplace(key, items.size());
      if (!inserted) {  // a repeated key replaces the value and keeps its place, as in Python
        items[it->second].second = std::move(v);
        return;
      }
      charge(key.size() + 64);
    }
    items.emplace_back(std::move(k), std::move(v));
  }

  // ---- calls, all resolved by name; nothing outside the allow-list is ever built ----
  static const std::string& callable_name(const PyValue& v) {
    static const std::string none;
    return v.kind() == PyValue::Kind::Unsupported ? v.type_name() : none;
  }
  PyValue reduce(const PyValue& callable, const PyValue& args) {
    const std::string& name = callable_name(callable);
    if (name.empty()) fail("REDUCE calls a " + callable.describe() + ", which is not callable");
    if (args.kind() != PyValue::Kind::Tuple) fail("REDUCE arguments for " + name + " are not a tuple");
    const auto& a = args.items();
    if (name == "collections.OrderedDict") {
      if (!a.empty()) fail("collections.OrderedDict with constructor arguments is not supported");
      return fresh(PyValue::dict({}, /*ordered=*/true));
    }
    if (name == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(a);
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      // (data, requires_grad, backward_hooks[, state]): a Parameter is its data here.
      if (a.size() < 3 || !a[0].is_tensor()) fail("malformed " + name + " arguments");
      return a[0];
    }
    if (name == "_codecs.encode") return encode_bytes(a);
    if (name == "__builtin__.bytes" || name == "builtins.bytes") {
      if (!a.empty()) fail("bytes() with arguments is not supported");
      return PyValue::bytes("");  // how protocol 2 writes b''
    }
    if (name == "torch.device") {
      // torch.device('cuda', 0) pickles as ('cuda', 0); kept as the string torch.device prints.
      if (a.empty() || a.size() > 2 || !a[0].is_string() || (a.size() == 2 && a[1].kind() != PyValue::Kind::Int))
        fail("malformed torch.device arguments");
      return PyValue::string(a.size() == 2 ? a[0].as_string() + ":" + std::to_string(a[1].as_int()) : a[0].as_string());
    }
    return PyValue::unsupported(name);
  }
  PyValue new_object(const PyValue& cls) {
    const std::string& name = callable_name(cls);
    if (name.empty()) fail("NEWOBJ on a " + cls.describe() + ", which is not a class");
    if (name == "collections.OrderedDict") return fresh(PyValue::dict({}, /*ordered=*/true));
    return PyValue::unsupported(name);
  }
  // Protocol 2 has no bytes opcode: b'..' is _codecs.encode(<str of code points 0-255>, 'latin1').
  PyValue encode_bytes(const PyValue::Items& a) {
    if (a.size() != 2 || !a[0].is_string() || !a[1].is_string()) fail("malformed _codecs.encode arguments");
    const std::string& enc = a[1].as_string();
    if (enc != "latin1" && enc != "latin-1" && enc != "iso-8859-1")
      fail("_codecs.encode with encoding '" + enc + "' is not supported");
    const std::string& s = a[0].as_string();
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else if ((c == 0xc2 || c == 0xc3) && i + 1 < s.size() &&
                 (static_cast<unsigned char>(s[i + 1]) & 0xc0) == 0x80) {
        out.push_back(static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3f)));
      } else {
        fail("_codecs.encode argument is not latin-1 text");
      }
    }
    return PyValue::bytes(std::move(out));
  }

  // ('storage', torch.<Type>Storage, key, location, numel)
  PyValue persistent(const PyValue& pid) {
    if (pid.kind() != PyValue::Kind::Tuple || pid.items().size() != 5)
      fail("unsupported persistent id (not a storage)");
    const auto& it = pid.items();
    if (!it[0].is_string() || it[0].as_string() != "storage") fail("unsupported persistent id (not a storage)");
    const std::string& type = callable_name(it[1]);
    const auto found = storage_types().find(type);
    if (found == storage_types().end()) fail("unsupported storage type " + (type.empty() ? it[1].describe() : type));
    if (!it[2].is_string() || it[4].kind() != PyValue::Kind::Int) fail("malformed storage reference");
    const std::string& key = it[2].as_string();
    const at::ScalarType dtype = found->second;
    const int64_t numel = it[4].as_int();
    if (numel < 0) fail("storage '" + key + "' has a negative size");
    auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      if (cached->second.scalar_type() != dtype || cached->second.numel() != numel)
        fail("storage '" + key + "' is referenced with different types or sizes");
      return PyValue::tensor(cached->second);
    }
    at::Tensor t = load_(StorageRef{dtype, key, numel});
    if (t.scalar_type() != dtype || t.dim() != 1 || t.numel() != numel)
      fail("storage '" + key + "' was loaded with the wrong type or size");
    storages_.emplace(key, t);
    storage_impls_.insert(t.unsafeGetTensorImpl());
    return PyValue::tensor(t);
  }

  std::vector<int64_t> int_tuple(const PyValue& v, const char* what) {
    if (v.kind() != PyValue::Kind::Tuple) fail(std::string("tensor ") + what + " is not a tuple");
    if (v.items().size() > kMaxDims) fail(std::string("tensor ") + what + " has more than 64 dimensions");
    std::vector<int64_t> out;
    for (const auto& e : v.items()) {
      if (e.kind() != PyValue::Kind::Int || e.as_int() < 0)
        fail(std::string("tensor ") + what + " must hold non-negative integers");
      out.push_back(e.as_int());
    }
    return out;
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]):
  // a view into a storage read once, after checking that every element it can reach lies inside it.
  PyValue rebuild_tensor(const PyValue::Items& a) {
    if (a.size() < 4 || a.size() > 7 || !a[0].is_tensor() || a[1].kind() != PyValue::Kind::Int)
      fail("malformed _rebuild_tensor_v2 arguments");
    const at::Tensor& storage = a[0].as_tensor();
    if (!storage_impls_.count(storage.unsafeGetTensorImpl()))
      fail("_rebuild_tensor_v2 is given a tensor rather than a storage");
    const int64_t offset = a[1].as_int();
    const auto size = int_tuple(a[2], "size");
    const auto stride = int_tuple(a[3], "stride");
    if (size.size() != stride.size()) fail("tensor size and stride have different lengths");
    const auto storage_numel = static_cast<uint64_t>(storage.numel());
    if (offset < 0 || static_cast<uint64_t>(offset) > storage_numel)
      fail("tensor storage offset " + std::to_string(offset) + " lies outside its storage of " +
           std::to_string(storage_numel) + " elements");
    constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t numel = 1, extent = 0;  // extent: offset of the furthest element from the first
    for (size_t i = 0; i < size.size(); ++i) {
      const auto s = static_cast<uint64_t>(size[i]), st = static_cast<uint64_t>(stride[i]);
      if (s != 0 && numel > kMax / s) fail("tensor size overflows");
      numel *= s;
      if (s > 1 && st != 0) {
        if (s - 1 > (kMax - extent) / st) fail("tensor extent overflows");
        extent += (s - 1) * st;
      }
    }
    if (numel > 0 && (extent >= storage_numel - static_cast<uint64_t>(offset)))
      fail("tensor view (offset " + std::to_string(offset) + ", reaching " + std::to_string(extent + 1) +
           " elements further) does not fit its storage of " + std::to_string(storage_numel) + " elements");
    // Overlapping views (stride 0, as expand() makes) could stand for far more elements than the
    // file holds once anything copies them; state dicts never contain them.
    if (numel > storage_numel) fail("tensor has more elements than its storage (an overlapping view)");
    return PyValue::tensor(storage.as_strided(size, stride, offset));
  }

  const std::string& d_;
  const std::string& source_;
  const StorageLoader& load_;
  const uint64_t budget_;
  uint64_t used_ = 0;
  size_t pos_ = 0;
  std::vector<PyValue> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PyValue> memo_;
  std::unordered_map<const void*, Container> containers_;
  std::unordered_map<std::string, at::Tensor> storages_;
  std::unordered_set<const void*> storage_impls_;
};

void collect_warnings(const PyValue& v, const std::string& path, std::vector<std::string>& out) {
  switch (v.kind()) {
    case PyValue::Kind::Unsupported:
      out.push_back((path.empty() ? "(root)" : path) + ": skipped " + v.type_name());
      break;
    case PyValue::Kind::Dict:
      for (const auto& [k, val] : v.dict_items()) {
        std::string key;
        if (k.is_string())
          key = k.as_string();
        else if (k.kind() == PyValue::Kind::Int)
          key = std::to_string(k.as_int());
        else
          key = "<" + k.describe() + " key>";
        collect_warnings(val, path.empty() ? key : path + "." + key, out);
      }
      break;
    case PyValue::Kind::List:
    case PyValue::Kind::Tuple:
      for (size_t i = 0; i < v.items().size(); ++i)
        collect_warnings(v.items()[i], path + "[" + std::to_string(i) + "]", out);
      break;
    default:
      break;
  }
}

}  // namespace

PyValue unpickle(const std::string& data, const std::string& source, const StorageLoader& load_storage) {
  return Unpickler(data, source, load_storage).run();
}

std::vector<std::string> unsupported_warnings(const PyValue& root) {
  // Trees from unpickle() are acyclic and at most 100 levels deep, so plain recursion is safe; a
  // hand-built tree could be deeper, which is the builder's own doing.
  std::vector<std::string> out;
  collect_warnings(root, "", out);
  return out;
}

}  // namespace unirep::io
