// Replays a libFuzzer corpus without libFuzzer: every file under the given paths (recursively)
// is fed once to LLVMFuzzerTestOneInput. A crash or sanitizer report fails the ctest run.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

int replay_file(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  size_t replayed = 0;
  int failures = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path root(argv[i]);
    if (std::filesystem::is_regular_file(root)) {
      failures += replay_file(root);
      ++replayed;
      continue;
    }
    if (!std::filesystem::is_directory(root)) {
      std::fprintf(stderr, "corpus path %s does not exist\n", argv[i]);
      return 1;
    }
    for (const auto &entry : std::filesystem::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      failures += replay_file(entry.path());
      ++replayed;
    }
  }
  // An empty corpus would make this test pass vacuously.
  if (replayed == 0) {
    std::fprintf(stderr, "no corpus files replayed\n");
    return 1;
  }
  std::printf("replayed %zu corpus files\n", replayed);
  return failures == 0 ? 0 : 1;
}
