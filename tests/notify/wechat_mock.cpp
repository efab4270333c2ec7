#include "wechat_mock.hpp"

namespace replenish::notify::test {

WechatMock::Answer WechatMock::errcode(int code, const std::string& errmsg) {
  Answer answer;
  answer.body = {{"errcode", code}, {"errmsg", errmsg}};
  return answer;
}

WechatMock::WechatMock(std::unique_ptr<httplib::Server> server)
    : http_(
          [this](httplib::Server& s) {
            const auto token = [this](const httplib::Request& req, httplib::Response& res) {
              this->token(req, res);
            };
            const auto send = [this](const httplib::Request& req, httplib::Response& res) {
              this->send(req, res);
            };
            s.Post("/cgi-bin/stable_token", token);
            s.Get("/cgi-bin/token", token);
            s.Get("/gateway/token", token);
            s.Post("/cgi-bin/message/template/send", send);
            s.Post("/cgi-bin/message/subscribe/send", send);
          },
          std::move(server)) {}

WechatMock::~WechatMock() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  closing_.notify_all();
}

void WechatMock::set_tokens(std::vector<std::string> tokens) {
  const std::lock_guard<std::mutex> lock(mutex_);
  tokens_ = std::move(tokens);
}

void WechatMock::set_expires_in(int seconds) {
  const std::lock_guard<std::mutex> lock(mutex_);
  expires_in_ = seconds;
}

void WechatMock::set_token_delay(std::chrono::milliseconds delay) {
  const std::lock_guard<std::mutex> lock(mutex_);
  token_delay_ = delay;
}

void WechatMock::set_token_error(nlohmann::json body) {
  const std::lock_guard<std::mutex> lock(mutex_);
  token_error_ = std::move(body);
}

void WechatMock::reject_token(const std::string& token, int errcode) {
  const std::lock_guard<std::mutex> lock(mutex_);
  rejected_[token] = errcode;
}

void WechatMock::queue(Answer answer) {
  const std::lock_guard<std::mutex> lock(mutex_);
  queued_.push_back(std::move(answer));
}

void WechatMock::set_default(Answer answer) {
  const std::lock_guard<std::mutex> lock(mutex_);
  default_ = std::move(answer);
}

void WechatMock::pause(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return;
  std::unique_lock<std::mutex> lock(mutex_);
  closing_.wait_for(lock, delay, [this] { return closed_; });
}

void WechatMock::token(const httplib::Request& request, httplib::Response& response) {
  tokens_in_.add(request);
  std::chrono::milliseconds delay{0};
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    delay = token_delay_;
  }
  pause(delay);
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!token_error_.is_null()) {
    response.set_content(token_error_.dump(), "application/json");
    return;
  }
  ++token_count_;
  std::string token;
  if (tokens_.empty()) {
    token = "TOKEN-" + std::to_string(token_count_);
  } else {
    const auto index =
        std::min<std::size_t>(static_cast<std::size_t>(token_count_ - 1), tokens_.size() - 1);
    token = tokens_[index];
  }
  const nlohmann::json body{{"access_token", token}, {"expires_in", expires_in_}};
  response.set_content(body.dump(), "application/json");
}

void WechatMock::send(const httplib::Request& request, httplib::Response& response) {
  sends_in_.add(request);
  Answer answer;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto rejected = rejected_.find(request.get_param_value("access_token"));
    if (rejected != rejected_.end()) {
      answer =
          errcode(rejected->second, rejected->second == 42001 ? "access_token expired rid: 6600-aa"
                                                              : "invalid credential rid: 6600-ab");
    } else if (!queued_.empty()) {
      answer = queued_.front();
      queued_.pop_front();
    } else {
      answer = default_;
    }
    if (answer.body.is_null()) {
      answer.body = {{"errcode", 0}, {"errmsg", "ok"}, {"msgid", next_msgid_++}};
    }
  }
  pause(answer.delay);
  response.status = answer.status;
  response.set_content(answer.body.dump(), "application/json");
}

}  // namespace replenish::notify::test
