// A WeChat API for the notify tests, on 127.0.0.1 and an ephemeral port: it hands out access
// tokens (POST /cgi-bin/stable_token, GET /cgi-bin/token, and GET /gateway/token as a merchant's
// gateway would) and answers template and subscribe message sends the way WeChat documents,
// recording every request.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support.hpp"

namespace replenish::notify::test {

class WechatMock {
 public:
  /// One answer to a send.
  struct Answer {
    int status = 200;
    nlohmann::json body;  ///< null = success: {"errcode":0,"errmsg":"ok","msgid":<next>}
    std::chrono::milliseconds delay{0};
  };

  static Answer errcode(int code, const std::string& errmsg);

  /// `server`: an SSLServer for https.
  explicit WechatMock(
      std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>());
  ~WechatMock();
  WechatMock(const WechatMock&) = delete;
  WechatMock& operator=(const WechatMock&) = delete;

  /// "http://127.0.0.1:<port>" + path.
  std::string url(const std::string& path = "", const std::string& scheme = "http") const {
    return http_.url(path, scheme);
  }

  // Tokens. By default the n-th token request gets "TOKEN-n", valid for 7200 s.
  /// Tokens handed out in turn; the last one repeats.
  void set_tokens(std::vector<std::string> tokens);
  void set_expires_in(int seconds);
  /// Each token request waits this long before it answers.
  void set_token_delay(std::chrono::milliseconds delay);
  /// Token requests answer `body` (an errcode) instead, until cleared with null.
  void set_token_error(nlohmann::json body);
  /// Sends with `token` are answered with `errcode` (42001 expired, 40001 invalid).
  void reject_token(const std::string& token, int errcode = 42001);

  // Sends. Queued answers first, in order; then the default answer (success).
  void queue(Answer answer);
  void set_default(Answer answer);

  std::vector<Received> token_requests() const { return tokens_in_.items(); }
  std::vector<Received> sends() const { return sends_in_.items(); }

 private:
  void token(const httplib::Request& request, httplib::Response& response);
  void send(const httplib::Request& request, httplib::Response& response);
  /// Sleeps up to `delay`, cut short when the mock is destroyed.
  void pause(std::chrono::milliseconds delay);

  mutable std::mutex mutex_;
  std::condition_variable closing_;
  // Guarded by mutex_.
  bool closed_ = false;
  std::vector<std::string> tokens_;
  int token_count_ = 0;
  int expires_in_ = 7200;
  std::chrono::milliseconds token_delay_{0};
  nlohmann::json token_error_;
  std::map<std::string, int> rejected_;
  std::deque<Answer> queued_;
  Answer default_;
  long long next_msgid_ = 1000;

  Inbox tokens_in_;
  Inbox sends_in_;
  HttpMock http_;  // last: stops (and joins its handlers) before the state above goes
};

}  // namespace replenish::notify::test
