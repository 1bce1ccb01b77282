// PyValue: construction, checked accessors, dict helpers and descriptions.
#include "models/io/py_value.h"
#include "models/io/torch_checkpoint.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using unirep::io::PyValue;

TEST(PyValue, KindsAndAccessors) {
  EXPECT_TRUE(PyValue().is_none());
  EXPECT_TRUE(PyValue::boolean(true).as_bool());
  EXPECT_EQ(PyValue::boolean(true).as_int(), 1);  // a Python bool is an int
  EXPECT_EQ(PyValue::integer(-3).as_int(), -3);
  EXPECT_EQ(PyValue::integer(2).as_float(), 2.0);
  EXPECT_EQ(PyValue::floating(0.5).as_float(), 0.5);
  EXPECT_EQ(PyValue::string("s").as_string(), "s");
  EXPECT_EQ(PyValue::bytes("b").as_string(), "b");
  EXPECT_EQ(PyValue::bytes("b").kind(), PyValue::Kind::Bytes);
  EXPECT_EQ(PyValue::list({PyValue::none()}).items().size(), 1u);
  EXPECT_EQ(PyValue::tuple().items().size(), 0u);
  EXPECT_TRUE(PyValue::tensor(at::ones({2})).is_tensor());
  EXPECT_EQ(PyValue::unsupported("argparse.Namespace").type_name(), "argparse.Namespace");
}

TEST(PyValue, WrongKindThrowsLogicError) {
  EXPECT_THROW(PyValue::integer(1).as_string(), std::logic_error);
  EXPECT_THROW(PyValue::string("1").as_int(), std::logic_error);
  EXPECT_THROW(PyValue::floating(1).as_int(), std::logic_error);
  EXPECT_THROW(PyValue().items(), std::logic_error);
  EXPECT_THROW(PyValue::list().dict_items(), std::logic_error);
  EXPECT_THROW(PyValue::dict().as_tensor(), std::logic_error);
  EXPECT_THROW(PyValue::string("x").type_name(), std::logic_error);
  EXPECT_THROW(PyValue::list().set("k", PyValue()), std::logic_error);
  try {
    PyValue::dict({}, true).as_bool();
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("OrderedDict"), std::string::npos);
  }
}

TEST(PyValue, DictFindAndSet) {
  PyValue d = PyValue::dict();
  EXPECT_EQ(d.find("a"), nullptr);
  d.set("a", PyValue::integer(1));
  d.set("b", PyValue::integer(2));
  d.set("a", PyValue::integer(3));  // replaces in place
  ASSERT_EQ(d.dict_items().size(), 2u);
  EXPECT_EQ(d.dict_items()[0].first.as_string(), "a");
  EXPECT_EQ(d.find("a")->as_int(), 3);
  EXPECT_EQ(PyValue::integer(1).find("a"), nullptr);
  EXPECT_FALSE(d.ordered());
}

TEST(PyValue, Describe) {
  EXPECT_EQ(PyValue().describe(), "None");
  EXPECT_EQ(PyValue::dict().describe(), "dict");
  EXPECT_EQ(PyValue::dict({}, true).describe(), "OrderedDict");
  EXPECT_EQ(PyValue::tensor(at::ones({1})).describe(), "tensor");
  EXPECT_EQ(PyValue::unsupported("numpy.float64").describe(), "numpy.float64");
}

TEST(PyValue, StateDictValue) {
  const auto a = at::ones({2}), b = at::zeros({3});
  const PyValue sd = unirep::io::state_dict_value({{"a", a}, {"b", b}});
  ASSERT_TRUE(sd.is_dict());
  EXPECT_TRUE(sd.ordered());
  ASSERT_EQ(sd.dict_items().size(), 2u);
  EXPECT_EQ(sd.dict_items()[1].first.as_string(), "b");
  EXPECT_TRUE(sd.find("a")->as_tensor().is_same(a));
}

}  // namespace
