#pragma once
// The small, closed set of Python values a PyTorch checkpoint may hold, as a C++ value tree.
//
// This is what the checkpoint reader produces and the checkpoint writer consumes. Anything outside
// the set (an argparse.Namespace, a numpy scalar, a custom class) is kept as an `Unsupported` leaf
// that records the Python type name; it is never constructed or executed.
#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace unirep::io {

class PyValue {
 public:
  enum class Kind { None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Tensor, Unsupported };
  using Items = std::vector<PyValue>;
  using DictItems = std::vector<std::pair<PyValue, PyValue>>;  // insertion order, as Python keeps it

  PyValue() = default;  // None
  static PyValue none() { return PyValue(); }
  static PyValue boolean(bool v);
  static PyValue integer(int64_t v);
  static PyValue floating(double v);
  static PyValue string(std::string v);
  static PyValue bytes(std::string v);
  static PyValue list(Items items = {});
  static PyValue tuple(Items items = {});
  // `ordered` marks a collections.OrderedDict (what state_dict() returns) rather than a plain dict.
  static PyValue dict(DictItems items = {}, bool ordered = false);
  static PyValue tensor(at::Tensor t);
  // A value the reader refused to build; `type_name` is e.g. "argparse.Namespace".
  static PyValue unsupported(std::string type_name);

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_tensor() const { return kind_ == Kind::Tensor; }
  bool is_string() const { return kind_ == Kind::String; }

  // Accessors throw std::logic_error when the kind does not match.
  bool as_bool() const;
  int64_t as_int() const;
  double as_float() const;               // also accepts Int
  const std::string& as_string() const;  // String or Bytes
  const Items& items() const;            // List or Tuple
  Items& items();
  const DictItems& dict_items() const;
  DictItems& dict_items();
  bool ordered() const { return ordered_; }
  const at::Tensor& as_tensor() const;
  const std::string& type_name() const;  // Unsupported only

  // Dict lookup by string key; nullptr if absent or not a dict.
  const PyValue* find(const std::string& key) const;
  // Adds or replaces a string-keyed entry of a Dict.
  void set(const std::string& key, PyValue value);

  // A short Python-like description for error messages, e.g. "dict", "OrderedDict", "tensor".
  std::string describe() const;

 private:
  Kind kind_ = Kind::None;
  bool bool_ = false;
  bool ordered_ = false;
  int64_t int_ = 0;
  double float_ = 0.0;
  std::string str_;  // String, Bytes, Unsupported type name
  std::shared_ptr<Items> items_;
  std::shared_ptr<DictItems> dict_;
  at::Tensor tensor_;
};

}  // namespace unirep::io
