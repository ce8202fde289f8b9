{
  "targets": [
    {
      "target_name": "loop_aio",
      "defines": ["NAPI_VERSION=9", "_GNU_SOURCE"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"],
      "conditions": [
        ["OS=='linux'", { "sources": ["native/aio.c"] }, { "sources": ["native/unsupported.c"] }]
      ]
    }
  ]
}
