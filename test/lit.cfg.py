# -*- Python -*-
# Lit configuration for Ember's IR tests (test/Dialect, Conversion, Pipelines).
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "EMBER"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ember_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unittests", "fuzz",
                   "reference", "install", "scripts"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%ember_src", config.ember_src_root))
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.ember_tools_dir, config.llvm_tools_dir]
tools = ["ember-opt", "graphc", "mlir-translate", "FileCheck", "not", "count", "split-file"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# ptxas (the CUDA toolkit's, not a Debian package) assembles generated PTX
# where it is installed; tests that need it say `REQUIRES: ptxas`.
ptxas = "/usr/local/cuda/bin/ptxas"
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
