#include "file_reader.h"

#include "models/io/format_error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace unirep::io {

FileReader::FileReader(std::string path) : path_(std::move(path)) {
  fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw FormatError(path_, std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd_);
    fd_ = -1;
    throw FormatError(path_, "not a regular file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

FileReader::~FileReader() {
  if (fd_ >= 0) close(fd_);
}

void FileReader::check_range(uint64_t offset, uint64_t size, const char* what) const {
  if (offset > size_ || size > size_ - offset)
    throw FormatError(path_, std::string("truncated: ") + what + " needs " + std::to_string(size) +
                                 " bytes at offset " + std::to_string(offset) + " but the file has " +
                                 std::to_string(size_));
}

void FileReader::read_at(uint64_t offset, void* out, uint64_t size, const char* what) const {
  check_range(offset, size, what);
  char* p = static_cast<char*>(out);
  while (size > 0) {
    ssize_t n = pread(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw FormatError(path_, std::string("read failed for ") + what);
    p += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<uint64_t>(n);
  }
}

std::string FileReader::read_string(uint64_t offset, uint64_t size, const char* what) const {
  check_range(offset, size, what);  // before allocating: `size` may come from a hostile header
  std::string s(size, '\0');
  read_at(offset, s.data(), size, what);
  return s;
}

}  // namespace unirep::io
