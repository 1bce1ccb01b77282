#include "models/io/py_value.h"

#include <stdexcept>

namespace unirep::io {

PyValue PyValue::boolean(bool v) {
  PyValue p;
  p.kind_ = Kind::Bool;
  p.bool_ = v;
  return p;
}
PyValue PyValue::integer(int64_t v) {
  PyValue p;
  p.kind_ = Kind::Int;
  p.int_ = v;
  return p;
}
PyValue PyValue::floating(double v) {
  PyValue p;
  p.kind_ = Kind::Float;
  p.float_ = v;
  return p;
}
PyValue PyValue::string(std::string v) {
  PyValue p;
  p.kind_ = Kind::String;
  p.str_ = std::move(v);
  return p;
}
PyValue PyValue::bytes(std::string v) {
  PyValue p;
  p.kind_ = Kind::Bytes;
  p.str_ = std::move(v);
  return p;
}
PyValue PyValue::list(Items items) {
  PyValue p;
  p.kind_ = Kind::List;
  p.items_ = std::make_shared<Items>(std::move(items));
  return p;
}
PyValue PyValue::tuple(Items items) {
  PyValue p;
  p.kind_ = Kind::Tuple;
  p.items_ = std::make_shared<Items>(std::move(items));
  return p;
}
PyValue PyValue::dict(DictItems items, bool ordered) {
  PyValue p;
  p.kind_ = Kind::Dict;
  p.ordered_ = ordered;
  p.dict_ = std::make_shared<DictItems>(std::move(items));
  return p;
}
PyValue PyValue::tensor(at::Tensor t) {
  PyValue p;
  p.kind_ = Kind::Tensor;
  p.tensor_ = std::move(t);
  return p;
}
PyValue PyValue::unsupported(std::string type_name) {
  PyValue p;
  p.kind_ = Kind::Unsupported;
  p.str_ = std::move(type_name);
  return p;
}

namespace {
[[noreturn]] void wrong(const PyValue& v, const char* wanted) {
  throw std::logic_error(std::string("expected ") + wanted + ", found " + v.describe());
}
}  // namespace

bool PyValue::as_bool() const {
  if (kind_ != Kind::Bool) wrong(*this, "bool");
  return bool_;
}
int64_t PyValue::as_int() const {
  if (kind_ == Kind::Bool) return bool_ ? 1 : 0;
  if (kind_ != Kind::Int) wrong(*this, "int");
  return int_;
}
double PyValue::as_float() const {
  if (kind_ == Kind::Int) return static_cast<double>(int_);
  if (kind_ != Kind::Float) wrong(*this, "float");
  return float_;
}
const std::string& PyValue::as_string() const {
  if (kind_ != Kind::String && kind_ != Kind::Bytes) wrong(*this, "str");
  return str_;
}
const PyValue::Items& PyValue::items() const {
  if (kind_ != Kind::List && kind_ != Kind::Tuple) wrong(*this, "list or tuple");
  return *items_;
}
PyValue::Items& PyValue::items() {
  if (kind_ != Kind::List && kind_ != Kind::Tuple) wrong(*this, "list or tuple");
  return *items_;
}
const PyValue::DictItems& PyValue::dict_items() const {
  if (kind_ != Kind::Dict) wrong(*this, "dict");
  return *dict_;
}
PyValue::DictItems& PyValue::dict_items() {
  if (kind_ != Kind::Dict) wrong(*this, "dict");
  return *dict_;
}
const at::Tensor& PyValue::as_tensor() const {
  if (kind_ != Kind::Tensor) wrong(*this, "tensor");
  return tensor_;
}
const std::string& PyValue::type_name() const {
  if (kind_ != Kind::Unsupported) wrong(*this, "unsupported object");
  return str_;
}

const PyValue* PyValue::find(const std::string& key) const {
  if (kind_ != Kind::Dict) return nullptr;
  for (const auto& [k, v] : *dict_)
    if (k.kind_ == Kind::String && k.str_ == key) return &v;
  return nullptr;
}

void PyValue::set(const std::string& key, PyValue value) {
  for (auto& [k, v] : dict_items())
    if (k.kind_ == Kind::String && k.str_ == key) {
      v = std::move(value);
      return;
    }
  dict_->emplace_back(PyValue::string(key), std::move(value));
}

std::string PyValue::describe() const {
  switch (kind_) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::Bytes:
      return "bytes";
    case Kind::List:
      return "list";
    case Kind::Tuple:
      return "tuple";
    case Kind::Dict:
      return ordered_ ? "OrderedDict" : "dict";
    case Kind::Tensor:
      return "tensor";
    case Kind::Unsupported:
      return str_;
  }
  return "?";
}

}  // namespace unirep::io
