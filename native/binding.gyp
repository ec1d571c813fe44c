{
  "targets": [
    {
      "target_name": "genlab",
      "sources": ["src/addon.cc", "src/ops.cc", "src/autograd.cc", "src/cpu_allocator.cc", "src/guard.cc", "src/function.cc", "src/distributed.cc", "src/profiler.cc", "src/conv_transpose.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node ../scripts/libtorch.mjs --include)",
        "src/shim"
      ],
      "libraries": ["<!@(node ../scripts/libtorch.mjs --libs)"],
      "defines": ["NAPI_EXPERIMENTAL", "NAPI_CPP_EXCEPTIONS", "<!@(node ../scripts/libtorch.mjs --defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-frtti", "-Wno-unused-parameter", "-Wno-deprecated-declarations"]
    }
  ]
}
