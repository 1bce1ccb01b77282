#pragma once
// Helpers shared by the unirep::io suites: a byte-level pickle builder for crafting hostile
// checkpoints without Python, a way to wrap a pickle into a torch.save-style zip, and access to a
// Python interpreter with torch/numpy for cross-checks (tests skip those checks without one).
#include "models/io/atomic_file.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../../models/io/zip_writer.h"
#include "support/test_support.h"

namespace unirep::io_test {

// Builds pickle bytes opcode by opcode.
class PickleBuilder {
 public:
  PickleBuilder() { op(0x80).op(2); }  // PROTO 2
  PickleBuilder& op(unsigned char c) {
    s_.push_back(static_cast<char>(c));
    return *this;
  }
  PickleBuilder& raw(const std::string& bytes) {
    s_ += bytes;
    return *this;
  }
  PickleBuilder& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  PickleBuilder& str(const std::string& v) { return op('X').le(v.size(), 4).raw(v); }
  PickleBuilder& int1(uint8_t v) { return op('K').le(v, 1); }
  PickleBuilder& int4(int32_t v) { return op('J').le(static_cast<uint32_t>(v), 4); }
  PickleBuilder& global(const std::string& module, const std::string& name) {
    return op('c').raw(module + "\n" + name + "\n");
  }
  PickleBuilder& mark() { return op('('); }
  PickleBuilder& tuple() { return op('t'); }
  PickleBuilder& reduce() { return op('R'); }
  PickleBuilder& empty_dict() { return op('}'); }
  PickleBuilder& setitem() { return op('s'); }
  PickleBuilder& stop() { return op('.'); }
  // torch._utils._rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False,
  // OrderedDict())
  PickleBuilder& tensor(const std::string& storage_type, const std::string& key, int32_t numel, int32_t offset,
                        const std::vector<int32_t>& size, const std::vector<int32_t>& stride) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    mark().str("storage").global("torch", storage_type).str(key).str("cpu").int4(numel).tuple().op('Q');
    int4(offset);
    mark();
    for (auto v : size) int4(v);
    tuple().mark();
    for (auto v : stride) int4(v);
    tuple().op(0x89);
    global("collections", "OrderedDict").op(')').reduce();
    return tuple().reduce();
  }
  const std::string& bytes() const { return s_; }

 private:
  std::string s_;
};

// Writes a torch.save-style zip: <folder>/data.pkl, the given records under <folder>/, <folder>/version.
inline void write_checkpoint_zip(const std::string& path, const std::string& pickle,
                                 const std::map<std::string, std::string>& records = {},
                                 const std::string& folder = "archive") {
  io::AtomicFile out(path);
  io::ZipWriter zip(out);
  zip.add(folder + "/data.pkl", pickle);
  for (const auto& [name, bytes] : records) zip.add(folder + "/" + name, bytes);
  zip.add(folder + "/version", std::string("3\n"));
  zip.finish();
  out.commit();
}

// Calls `check` with `path` holding each prefix of `bytes` whose length is in `cuts`. The file is
// written once and shortened with truncate(), longest first, which keeps thousands of cuts fast.
inline void for_each_prefix(const std::string& path, const std::string& bytes, std::vector<size_t> cuts,
                            const std::function<void(size_t)>& check) {
  std::sort(cuts.rbegin(), cuts.rend());
  testing::write_bytes(path, bytes);
  for (size_t n : cuts) {
    if (n > bytes.size()) continue;
    if (::truncate(path.c_str(), static_cast<off_t>(n)) != 0) throw std::runtime_error("truncate failed");
    check(n);
  }
}

// Calls `check` with `path` holding `bytes` with the byte at each of `positions` XOR-ed with
// `mask`, patching the file in place (and back) instead of rewriting it.
inline void for_each_flip(const std::string& path, const std::string& bytes, const std::vector<size_t>& positions,
                          unsigned char mask, const std::function<void(size_t)>& check) {
  testing::write_bytes(path, bytes);
  auto poke = [&](size_t at, char value) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(value);
  };
  for (size_t i : positions) {
    if (i >= bytes.size()) continue;
    poke(i, static_cast<char>(bytes[i] ^ mask));
    check(i);
    poke(i, bytes[i]);
  }
}

inline std::string floats_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

struct PythonResult {
  int exit_code = -1;
  std::string output;
};

// A Python 3 interpreter that can import torch and numpy ("" if none): `python3` on PATH may be a
// different installation than Debian's python3-torch, so /usr/bin/python3 is tried as well.
inline const std::string& python_with_torch() {
  static const std::string found = [] {
    for (const char* candidate : {"python3", "/usr/bin/python3"}) {
      const std::string cmd = std::string(candidate) + " -c 'import torch, numpy' >/dev/null 2>&1";
      if (std::system(cmd.c_str()) == 0) return std::string(candidate);
    }
    return std::string();
  }();
  return found;
}

// Runs `script` with that interpreter, passing `args`; output is stdout and stderr together.
inline PythonResult run_python(const std::string& script, const std::vector<std::string>& args = {}) {
  testing::TempDir dir;
  const std::string file = dir.file("script.py");
  testing::write_bytes(file, script);
  std::string cmd = python_with_torch() + " " + file;
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  PythonResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

#define UNIREP_REQUIRE_PYTHON_TORCH()                                                       \
  do {                                                                                      \
    if (::unirep::io_test::python_with_torch().empty())                                     \
      GTEST_SKIP() << "no python3 with torch and numpy; the Python cross-check is skipped"; \
  } while (0)

}  // namespace unirep::io_test
