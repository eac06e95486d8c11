voxline_add_fuzzer(chat_stream_decoder LIBS voxline::llm)
