voxline_add_fuzzer(redis_url LIBS voxline::session_store)
