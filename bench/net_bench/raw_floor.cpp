// Raw libuv TCP floor client and server for net_bench's paced call load (see raw_floor.hpp).
#include "net_bench/raw_floor.hpp"

#include <arpa/inet.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/wake_coalescing.hpp"

namespace voxline::bench {
namespace {

constexpr size_t kAudioRecord = 640;  // 'A' + 639 bytes: 20 ms of 16 kHz linear16
constexpr size_t kControlRecord = 16;
constexpr int kTtsFrameMs = 20;

char g_read_buf[1 << 16];  // one loop thread per process side: reads land here and are parsed at once

void alloc_cb(uv_handle_t *, size_t, uv_buf_t *buf) {
  *buf = uv_buf_init(g_read_buf, sizeof g_read_buf);
}

struct PendingWrite {
  uv_write_t req;
  std::string data;
};

// Writes everything: uv_try_write first (the common case on loopback), the rest through a copied
// uv_write. Returns false when the connection failed.
bool write_fully(uv_stream_t *s, const char *data, size_t len) {
  uv_buf_t b = uv_buf_init(const_cast<char *>(data), static_cast<unsigned>(len));
  int n = uv_try_write(s, &b, 1);
  if (n == UV_EAGAIN) n = 0;
  if (n < 0) return false;
  if (static_cast<size_t>(n) == len) return true;
  auto *w = new PendingWrite;
  w->data.assign(data + n, len - static_cast<size_t>(n));
  w->req.data = w;
  uv_buf_t rest = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  return uv_write(&w->req, s, &rest, 1,
                  [](uv_write_t *r, int) { delete static_cast<PendingWrite *>(r->data); }) == 0;
}

// A 1 ms tick on an absolute schedule (due += 1 ms, one-shot re-armed with ceil(due - now),
// every missed tick caught up: pitfall P8). Tick k serves bucket k % period.
struct Pacer {
  uv_timer_t timer{};
  uint64_t next_due_us = 0;
  uint64_t tick = 0;
  std::function<void(uint64_t tick)> on_tick;
  void start(uv_loop_t *loop) {
    uv_timer_init(loop, &timer);
    timer.data = this;
    next_due_us = uv_hrtime() / 1000 + 1000;
    arm();
  }
  void arm() {
    const uint64_t now = uv_hrtime() / 1000;
    const uint64_t wait = next_due_us > now ? (next_due_us - now + 999) / 1000 : 0;
    uv_timer_start(
        &timer, [](uv_timer_t *t) { static_cast<Pacer *>(t->data)->fire(); }, wait, 0);
  }
  void fire() {
    const uint64_t now = uv_hrtime() / 1000;
    while (next_due_us <= now) {
      on_tick(tick++);
      next_due_us += 1000;
    }
    arm();
  }
  void close() { uv_close(reinterpret_cast<uv_handle_t *>(&timer), nullptr); }
};

// ---- server ---------------------------------------------------------------------------------

struct ServerConn {
  uv_tcp_t tcp{};
  char role = 0;
  size_t control_have = 0;
  char control[kControlRecord];
  bool closing = false;
};

struct Server {
  uv_loop_t *loop = nullptr;
  uv_tcp_t listener{};
  std::vector<std::vector<ServerConn *>> buckets = std::vector<std::vector<ServerConn *>>(kTtsFrameMs);
  size_t next_bucket = 0;
  Pacer pacer;
  char audio[kAudioRecord];
};
Server g_server;

void server_close(ServerConn *c) {
  if (c->closing) return;
  c->closing = true;
  for (auto &b : g_server.buckets) b.erase(std::remove(b.begin(), b.end(), c), b.end());
  uv_close(reinterpret_cast<uv_handle_t *>(&c->tcp),
           [](uv_handle_t *h) { delete static_cast<ServerConn *>(h->data); });
}

void server_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  auto *c = static_cast<ServerConn *>(s->data);
  if (n < 0) {
    server_close(c);
    return;
  }
  size_t i = 0;
  if (c->role == 0 && n > 0) {
    c->role = buf->base[0];
    i = 1;
    if (c->role == 'D') g_server.buckets[g_server.next_bucket++ % kTtsFrameMs].push_back(c);
  }
  if (c->role != 'D') return;  // uplink: discard
  for (; i < static_cast<size_t>(n); ++i) {
    c->control[c->control_have++] = buf->base[i];
    if (c->control_have == kControlRecord) {
      c->control_have = 0;
      c->control[0] = 'K';
      if (!write_fully(s, c->control, kControlRecord)) {
        server_close(c);
        return;
      }
    }
  }
}

}  // namespace

int floor_server_main(int port) {
  raise_open_file_limit();
  g_server.loop = uv_default_loop();
  std::memset(g_server.audio, 'a', sizeof g_server.audio);
  g_server.audio[0] = 'A';
  uv_tcp_init(g_server.loop, &g_server.listener);
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", port, &addr);
  if (uv_tcp_bind(&g_server.listener, reinterpret_cast<const sockaddr *>(&addr), 0) != 0 ||
      uv_listen(reinterpret_cast<uv_stream_t *>(&g_server.listener), 4096, [](uv_stream_t *l, int status) {
        if (status < 0) return;
        auto *c = new ServerConn;
        uv_tcp_init(g_server.loop, &c->tcp);
        c->tcp.data = c;
        if (uv_accept(l, reinterpret_cast<uv_stream_t *>(&c->tcp)) != 0) {
          server_close(c);
          return;
        }
        uv_tcp_nodelay(&c->tcp, 1);
        uv_read_start(reinterpret_cast<uv_stream_t *>(&c->tcp), alloc_cb, server_read);
      }) != 0) {
    std::fprintf(stderr, "floor server: cannot listen\n");
    return 1;
  }
  g_server.pacer.on_tick = [](uint64_t tick) {
    auto &bucket = g_server.buckets[tick % kTtsFrameMs];
    for (size_t i = 0; i < bucket.size();) {
      ServerConn *c = bucket[i];
      if (!write_fully(reinterpret_cast<uv_stream_t *>(&c->tcp), g_server.audio, kAudioRecord)) {
        server_close(c);  // removes it from the bucket
        continue;
      }
      ++i;
    }
  };
  g_server.pacer.start(g_server.loop);
  uv_run(g_server.loop, UV_RUN_DEFAULT);
  return 0;
}

// ---- client ---------------------------------------------------------------------------------

namespace {

struct Client;

struct ClientConn {
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  struct Call *call = nullptr;
  bool down = false;
  bool open = false;
};

struct Call {
  ClientConn up, down;
  double next_clear_at = 0;
  double clear_queued_at = -1;
  char kind = 0;    // record being parsed on the downlink
  size_t need = 0;  // bytes of it still to come
};

struct Client {
  LoadOptions opt;
  uv_loop_t loop{};
  uv_async_t stop{}, go{};
  Pacer pacer;
  std::vector<std::unique_ptr<Call>> calls;
  std::vector<char> frame;
  std::atomic<int> opened{0}, failed{0};
  std::atomic<bool> measuring{false};
  std::atomic<uint64_t> sent{0}, received{0};
  std::vector<double> written_ms, answered_ms;  // loop thread; read after join
  size_t errors = 0;
};

void on_down_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  auto *conn = static_cast<ClientConn *>(s->data);
  Call &call = *conn->call;
  auto *client = static_cast<Client *>(s->loop->data);
  if (n < 0) {
    if (conn->open) client->errors++;
    conn->open = false;
    uv_read_stop(s);
    return;
  }
  size_t i = 0;
  const auto len = static_cast<size_t>(n);
  while (i < len) {
    if (call.need == 0) {
      call.kind = buf->base[i++];
      call.need = (call.kind == 'K' ? kControlRecord : kAudioRecord) - 1;
      continue;
    }
    const size_t take = std::min(call.need, len - i);
    call.need -= take;
    i += take;
    if (call.need > 0) break;
    client->received.fetch_add(1, std::memory_order_relaxed);
    if (call.kind == 'K' && call.clear_queued_at >= 0) {
      if (client->measuring.load(std::memory_order_relaxed))
        client->answered_ms.push_back(now_ms() - call.clear_queued_at);
      call.clear_queued_at = -1;
    }
  }
}

void on_connected(uv_connect_t *req, int status) {
  auto *conn = static_cast<ClientConn *>(req->data);
  auto *client = static_cast<Client *>(req->handle->loop->data);
  if (status < 0) {
    client->failed++;
    return;
  }
  conn->open = true;
  uv_tcp_nodelay(&conn->tcp, 1);
  const char role = conn->down ? 'D' : 'U';
  write_fully(reinterpret_cast<uv_stream_t *>(&conn->tcp), &role, 1);
  if (conn->down) uv_read_start(reinterpret_cast<uv_stream_t *>(&conn->tcp), alloc_cb, on_down_read);
  client->opened++;
}

void tick(Client &c, uint64_t t) {
  const double now = now_ms();
  for (size_t i = t % static_cast<uint64_t>(c.opt.frame_ms); i < c.calls.size();
       i += static_cast<size_t>(c.opt.frame_ms)) {
    Call &call = *c.calls[i];
    if (call.up.open) {
      if (write_fully(reinterpret_cast<uv_stream_t *>(&call.up.tcp), c.frame.data(), c.frame.size()))
        c.sent.fetch_add(1, std::memory_order_relaxed);
      else
        c.errors++;
    }
    if (call.down.open && call.clear_queued_at < 0 && now >= call.next_clear_at) {
      char clear[kControlRecord];
      std::memset(clear, 'c', sizeof clear);
      clear[0] = 'C';
      call.clear_queued_at = now;
      if (!write_fully(reinterpret_cast<uv_stream_t *>(&call.down.tcp), clear, sizeof clear)) c.errors++;
      if (c.measuring.load(std::memory_order_relaxed)) c.written_ms.push_back(now_ms() - now);
      c.sent.fetch_add(1, std::memory_order_relaxed);
      call.next_clear_at = now + c.opt.clear_every_ms + static_cast<double>((i * 37) % 500);
    }
  }
}

}  // namespace

LoadRow run_floor(const LoadOptions &options, const ServerChild &server) {
  Client c;
  c.opt = options;
  c.frame.assign(static_cast<size_t>(32 * options.frame_ms), 'u');
  uv_loop_init(&c.loop);
  c.loop.data = &c;
  trim_heap();
  const size_t rss_before = rss_kb();
  const double start = now_ms();
  for (int i = 0; i < options.calls; ++i) {
    auto call = std::make_unique<Call>();
    for (ClientConn *conn : {&call->up, &call->down}) {
      conn->call = call.get();
      conn->down = conn == &call->down;
      uv_tcp_init(&c.loop, &conn->tcp);
      conn->tcp.data = conn;
      conn->connect.data = conn;
      sockaddr_in addr{};
      uv_ip4_addr("127.0.0.1", server.port(), &addr);
      if (uv_tcp_connect(&conn->connect, &conn->tcp, reinterpret_cast<const sockaddr *>(&addr),
                         on_connected) != 0)
        c.failed++;  // no socket (EMFILE): counted now, or the ramp would wait for it
    }
    c.calls.push_back(std::move(call));
  }
  c.pacer.on_tick = [&c](uint64_t t) { tick(c, t); };
  // Once every connection is up: Clear due times move past the ramp, and the pacing starts.
  uv_async_init(&c.loop, &c.go, [](uv_async_t *a) {
    auto *cl = static_cast<Client *>(a->loop->data);
    const double now = now_ms();
    for (size_t i = 0; i < cl->calls.size(); ++i)
      cl->calls[i]->next_clear_at = now + 200 + static_cast<double>((i * 97) % cl->opt.clear_every_ms);
    cl->pacer.start(a->loop);
    uv_close(reinterpret_cast<uv_handle_t *>(a), nullptr);
  });
  uv_async_init(&c.loop, &c.stop, [](uv_async_t *a) {
    auto *cl = static_cast<Client *>(a->loop->data);
    cl->pacer.close();
    for (auto &call : cl->calls) {
      uv_close(reinterpret_cast<uv_handle_t *>(&call->up.tcp), nullptr);
      uv_close(reinterpret_cast<uv_handle_t *>(&call->down.tcp), nullptr);
    }
    uv_close(reinterpret_cast<uv_handle_t *>(&cl->stop), nullptr);
  });
  clockid_t cpu_clock{};
  std::atomic<bool> have_clock{false};
  std::thread loop_thread([&] {
    cpu_clock = thread_cpu_clock();
    have_clock = true;
    detail::run_coalesced(&c.loop, static_cast<uint64_t>(c.opt.coalesce_us) * 1000);  // as a slot does
  });
  const int want = 2 * options.calls;
  while (c.opened.load() + c.failed.load() < want && now_ms() - start < 60000)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  while (!have_clock.load()) std::this_thread::yield();
  const double connect_s = (now_ms() - start) / 1000.0;
  uv_async_send(&c.go);
  // As the voxline run: past every call's first Clear before measuring.
  std::this_thread::sleep_for(std::chrono::milliseconds(
      static_cast<int>(1000 * (0.2 + options.clear_every_ms / 1000.0 + 0.5 + options.warmup_s))));
  LoadRow r;
  r.client = "raw libuv TCP (floor)";
  if (options.coalesce_us > 0) r.client += " c" + std::to_string(options.coalesce_us);
  r.calls = options.calls;
  r.frame_ms = options.frame_ms;
  r.connections = static_cast<size_t>(c.opened.load());
  const double cpu0 = cpu_seconds(cpu_clock), srv0 = process_cpu_seconds(server.pid()), t0 = now_ms();
  const uint64_t sent0 = c.sent.load(), recv0 = c.received.load();
  c.measuring = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(options.seconds * 1000)));
  c.measuring = false;
  const double cpu1 = cpu_seconds(cpu_clock), srv1 = process_cpu_seconds(server.pid()), t1 = now_ms();
  const uint64_t msgs = c.sent.load() - sent0 + c.received.load() - recv0;
  const size_t rss = rss_kb(), srv_rss = rss_kb(server.pid());
  r.connections = static_cast<size_t>(c.opened.load());
  uv_async_send(&c.stop);
  loop_thread.join();
  uv_loop_close(&c.loop);
  r.seconds = (t1 - t0) / 1000.0;
  r.loop_cpu = (cpu1 - cpu0) / r.seconds;
  r.msgs_per_s = static_cast<double>(msgs) / r.seconds;
  r.expected_msgs = options.calls * (1000.0 / options.frame_ms + 1000.0 / kTtsFrameMs);
  r.us_per_msg = msgs > 0 ? (cpu1 - cpu0) * 1e6 / static_cast<double>(msgs) : 0;
  r.clear_written = latency_of(c.written_ms);
  r.clear_answered = latency_of(c.answered_ms);
  r.server_cpu = (srv1 - srv0) / r.seconds;
  const double conns = std::max<double>(1, static_cast<double>(r.connections));
  r.rss_kb_per_conn = (static_cast<double>(rss) - static_cast<double>(rss_before)) / conns;
  r.server_rss_mb = static_cast<double>(srv_rss) / 1024.0;
  r.errors = c.errors + static_cast<size_t>(c.failed.load());
  char note[96];
  std::snprintf(note, sizeof note, "ramp %.1fs; no framing, no TLS, no SSE", connect_s);
  r.note = note;
  return r;
}

}  // namespace voxline::bench
