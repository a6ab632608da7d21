{
  "targets": [
    {
      "target_name": "release_pages",
      "sources": ["release_pages.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
