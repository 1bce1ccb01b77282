#include "microphone.h"

#include <stdexcept>
#include <string>

#ifdef UNIREP_HAVE_PORTAUDIO
#include <portaudio.h>
#endif

namespace unirep::cli {

#ifdef UNIREP_HAVE_PORTAUDIO

bool microphone_built_in() {
  return true;
}

struct Microphone::Impl {
  PaStream* stream = nullptr;
  int64_t block = 0;
  bool initialized = false;
};

namespace {

void check(PaError e, const char* what) {
  if (e != paNoError && e != paInputOverflowed)
    throw std::runtime_error(std::string("microphone: ") + what + ": " + Pa_GetErrorText(e));
}

}  // namespace

Microphone::Microphone(int sample_rate, int64_t block) : impl_(std::make_unique<Impl>()) {
  impl_->block = block;
  check(Pa_Initialize(), "PortAudio does not start");
  impl_->initialized = true;
  if (Pa_GetDefaultInputDevice() == paNoDevice)
    throw std::runtime_error("microphone: this machine has no input device");
  check(Pa_OpenDefaultStream(&impl_->stream, 1, 0, paFloat32, sample_rate, static_cast<unsigned long>(block), nullptr,
                             nullptr),
        "the default input device does not open");
  check(Pa_StartStream(impl_->stream), "the default input device does not start");
}

Microphone::~Microphone() {
  if (impl_->stream) {
    Pa_StopStream(impl_->stream);
    Pa_CloseStream(impl_->stream);
  }
  if (impl_->initialized) Pa_Terminate();
}

void Microphone::read(std::vector<float>& out) {
  out.resize(static_cast<size_t>(impl_->block));
  check(Pa_ReadStream(impl_->stream, out.data(), static_cast<unsigned long>(impl_->block)), "reading failed");
}

#else

bool microphone_built_in() {
  return false;
}

struct Microphone::Impl {};

Microphone::Microphone(int, int64_t) {
  throw std::runtime_error(
      "--mic was not built in: this unirep was built without PortAudio (install portaudio19-dev and rebuild)");
}
Microphone::~Microphone() = default;
void Microphone::read(std::vector<float>&) {}

#endif

}  // namespace unirep::cli
