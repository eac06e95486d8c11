// libcurl multi_socket on a libuv loop. Rules learned when this was first tried (curl callback rules):
// CURL_POLL_REMOVE arrives before curl closes the fd, so the poll handle is stopped and closed
// there and freed in its close callback; a poll error is passed on as CURL_CSELECT_ERR; a 0 ms
// timeout from curl arms a 0 ms uv timer and never calls socket_action from inside the callback.
#include "net/curl_multi_uv.hpp"

namespace voxline::detail {

struct CurlMultiUv::Socket {
  uv_poll_t poll;
  curl_socket_t fd;
  CurlMultiUv *owner;
  Socket *prev = nullptr, *next = nullptr;
};

struct CurlMultiUv::Timer {
  uv_timer_t timer;
  CurlMultiUv *owner;
};

Status CurlMultiUv::open(long max_connects, long max_streams_per_connection) {
  if (multi_ != nullptr) return Status::Ok();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) return internal_error("curl_multi_init failed");
  timer_ = new Timer{};
  timer_->owner = this;
  uv_timer_init(loop_, &timer_->timer);
  timer_->timer.data = timer_;
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiUv::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiUv::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
  curl_multi_setopt(multi_, CURLMOPT_MAX_CONCURRENT_STREAMS, max_streams_per_connection);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, max_connects);
  return Status::Ok();
}

void CurlMultiUv::close() {
  if (multi_ != nullptr) {
    ++depth_;  // curl may call back while cleaning up; nothing may re-enter it
    curl_multi_cleanup(multi_);
    --depth_;
    multi_ = nullptr;
  }
  // curl normally removed every socket above; end any it did not report.
  while (sockets_head_ != nullptr) close_socket(sockets_head_);
  if (timer_ != nullptr) {
    timer_->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t *>(&timer_->timer),
             [](uv_handle_t *h) { delete static_cast<Timer *>(h->data); });
    timer_ = nullptr;
  }
}

CURLMcode CurlMultiUv::add(CURL *easy) {
  return curl_multi_add_handle(multi_, easy);
}

void CurlMultiUv::remove(CURL *easy) {
  if (multi_ != nullptr) curl_multi_remove_handle(multi_, easy);
}

void CurlMultiUv::close_socket(Socket *s) {
  if (s->prev != nullptr) s->prev->next = s->next;
  if (s->next != nullptr) s->next->prev = s->prev;
  if (sockets_head_ == s) sockets_head_ = s->next;
  --sockets_;
  uv_poll_stop(&s->poll);
  uv_close(reinterpret_cast<uv_handle_t *>(&s->poll),
           [](uv_handle_t *h) { delete static_cast<Socket *>(h->data); });
}

int CurlMultiUv::on_socket(CURL *, curl_socket_t fd, int what, void *userp, void *socketp) {
  auto *self = static_cast<CurlMultiUv *>(userp);
  auto *s = static_cast<Socket *>(socketp);
  if (what == CURL_POLL_REMOVE) {
    if (s != nullptr) {
      if (self->multi_ != nullptr) curl_multi_assign(self->multi_, fd, nullptr);
      self->close_socket(s);
    }
    return 0;
  }
  if (s == nullptr) {
    s = new Socket{};
    s->fd = fd;
    s->owner = self;
    if (uv_poll_init_socket(self->loop_, &s->poll, fd) != 0) {
      delete s;
      return -1;  // curl fails the transfer that owns this socket
    }
    s->poll.data = s;
    s->next = self->sockets_head_;
    if (s->next != nullptr) s->next->prev = s;
    self->sockets_head_ = s;
    ++self->sockets_;
    curl_multi_assign(self->multi_, fd, s);
  }
  const int events =
      ((what & CURL_POLL_IN) != 0 ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) != 0 ? UV_WRITABLE : 0);
  uv_poll_start(&s->poll, events, &CurlMultiUv::on_poll);
  return 0;
}

int CurlMultiUv::on_timer(CURLM *, long timeout_ms, void *userp) {
  auto *self = static_cast<CurlMultiUv *>(userp);
  if (self->timer_ == nullptr) return 0;
  if (timeout_ms < 0)
    uv_timer_stop(&self->timer_->timer);
  else  // 0 ms fires on the next loop turn: socket_action is never called from in here
    uv_timer_start(&self->timer_->timer, &CurlMultiUv::on_timeout, static_cast<uint64_t>(timeout_ms), 0);
  return 0;
}

void CurlMultiUv::on_poll(uv_poll_t *handle, int status, int events) {
  auto *s = static_cast<Socket *>(handle->data);
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;  // let curl see the error instead of waiting for a timeout
  } else {
    if ((events & UV_READABLE) != 0) flags |= CURL_CSELECT_IN;
    if ((events & UV_WRITABLE) != 0) flags |= CURL_CSELECT_OUT;
  }
  // `s` may be closed inside action(); it stays allocated until its close callback.
  s->owner->action(s->fd, flags);
}

void CurlMultiUv::on_timeout(uv_timer_t *handle) {
  auto *t = static_cast<Timer *>(handle->data);
  if (t->owner != nullptr) t->owner->action(CURL_SOCKET_TIMEOUT, 0);
}

void CurlMultiUv::action(curl_socket_t fd, int flags) {
  if (multi_ == nullptr) return;
  int running = 0;
  ++depth_;
  curl_multi_socket_action(multi_, fd, flags, &running);
  --depth_;
  read_done();
}

void CurlMultiUv::read_done() {
  int left = 0;
  while (multi_ != nullptr) {
    CURLMsg *msg = curl_multi_info_read(multi_, &left);
    if (msg == nullptr) break;
    if (msg->msg == CURLMSG_DONE) on_done_(done_ctx_, msg->easy_handle, msg->data.result);
  }
}

}  // namespace voxline::detail
