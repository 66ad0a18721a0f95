//===- CheckpointKillTest.cpp - Saving survives being killed --------------===//
//
// Part of Ember. A child process saves a large checkpoint over a good one
// and is killed with SIGKILL at a random moment; afterwards the path holds
// either the old checkpoint or the complete new one, never a half-written
// file, and it always loads.
//
//===----------------------------------------------------------------------===//

#include "TestSeed.h"
#include "ember/ember.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace ember;
namespace fs = std::filesystem;

namespace {

StateDict checkpoint(float value) {
  return {{"weight", full({2048, 512}, value)}, {"bias", full({512}, value)}};
}

TEST(CheckpointKillTest, KilledSavesLeaveTheOldOrTheNewCheckpoint) {
  fs::path dir = fs::temp_directory_path() /
                 ("ember-kill-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path = (dir / "model.safetensors").string();
  save_safetensors(checkpoint(1.0f), path);

  std::mt19937_64 rng = test::testGenerator();
  int sawOld = 0, sawNew = 0;
  float current = 1.0f; // what the file holds before each trial
  for (int trial = 0; trial < 12; ++trial) {
    SCOPED_TRACE(test::seedTrace() + " trial " + std::to_string(trial));
    float next = 2.0f + trial;
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Keep saving until killed.
      for (;;)
        save_safetensors(checkpoint(next), path);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(
        std::uniform_int_distribution<int>(0, 40000)(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    StateDict loaded;
    ASSERT_NO_THROW(loaded = load_safetensors(path));
    ASSERT_EQ(loaded.size(), 2u);
    float w = loaded[0].second.to_vector()[0];
    // Every element agrees: a whole checkpoint, old or new.
    std::vector<float> all = loaded[0].second.to_vector();
    ASSERT_TRUE(std::all_of(all.begin(), all.end(), [&](float x) { return x == w; }));
    EXPECT_TRUE(w == current || w == next)
        << "found " << w << ", expected the old " << current << " or the new "
        << next;
    (w == next ? sawNew : sawOld)++;
    current = w;
    // Only the checkpoint remains: no temporary file is mistaken for it.
    for (const auto &entry : fs::directory_iterator(dir))
      if (entry.path().filename() != "model.safetensors")
        fs::remove(entry.path()); // a killed save's temporary, never loaded
  }
  std::cout << "old checkpoint kept " << sawOld << " times, new one complete "
            << sawNew << " times\n";
  fs::remove_all(dir);
}

} // namespace
