// The behaviour suite every channel type passes: success, retryable, permanent, timeout, bad
// config, unknown keys, concurrent sends (also worth running under the asan preset). A traits
// struct per type knows how to configure an instance against its mock and how to make the mock
// answer; cases a type cannot produce (the log channel cannot fail) are declared unsupported by its
// traits, explicitly.
//
// Adding a channel type: write its traits below and add them to ChannelTraits.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

#include "notify/channel.hpp"
#include "notify/consent.hpp"
#include "support.hpp"
#include "wechat_mock.hpp"

namespace replenish::notify {
namespace {

using std::chrono::milliseconds;

enum class Case { kSuccess, kRetryable, kPermanent, kTimeout };

struct BadConfig {
  std::string yaml;    ///< options of an instance named "ch"
  std::string path;    ///< an issue expected at this key path
  std::string reason;  ///< … whose message contains this
};

Message behaviour_message(const std::string& key = "rem-7-b") {
  Message m;
  m.reminder_id = 7;
  m.key = key;
  m.user_id = "u7";
  m.openid = "oBehaviourSuiteOpenId000000";
  m.category = "diapers";
  m.kind = "replenish";
  m.due_at = 1700000000;
  m.text = "宝宝的纸尿裤快用完啦，记得补货哦～";
  m.vars = {{"category_name", "纸尿裤"}};
  return m;
}

// --- log ---------------------------------------------------------------------------------

struct LogTraits {
  static constexpr const char* kType = "log";
  static constexpr bool supports(Case c) { return c == Case::kSuccess; }  // it cannot fail
  static constexpr int kTimeoutMs = 0;
  static std::optional<std::int64_t> retry_after_hint() { return std::nullopt; }

  /// The log channel's "gateway" is the notify logger.
  class Mock {
   public:
    std::string options_yaml() const { return "type: log\n"; }
    ChannelContext context() const { return {}; }
    void answer(Case /*c*/) {}
    std::size_t requests() {
      const std::string text = capture_.text();
      std::size_t n = 0;
      for (auto at = text.find("event=reminder_delivered"); at != std::string::npos;
           at = text.find("event=reminder_delivered", at + 1)) {
        ++n;
      }
      return n;
    }

   private:
    test::LogCapture capture_;
  };

  static std::vector<BadConfig> bad_configs() {
    return {{"type: log\nlevel: loud\n", "channels.ch.level", "must be info or warn"}};
  }
};

// --- webhook -----------------------------------------------------------------------------

struct WebhookTraits {
  static constexpr const char* kType = "webhook";
  static constexpr bool supports(Case /*c*/) { return true; }
  static constexpr int kTimeoutMs = 300;
  /// The hint its mock gives with a retryable answer (Retry-After: 7), which must come back.
  static std::optional<std::int64_t> retry_after_hint() { return 7; }

  class Mock {
   public:
    Mock()
        : http_([this](httplib::Server& s) {
            s.Post("/hook", [this](const httplib::Request&, httplib::Response& res) {
              ++requests_;
              switch (answer_.load()) {
                case Case::kSuccess:
                  res.set_content(R"({"id":"wh-1"})", "application/json");
                  break;
                case Case::kRetryable:
                  res.status = 503;
                  res.set_header("Retry-After", "7");
                  break;
                case Case::kPermanent:
                  res.status = 422;
                  res.set_content("unknown user", "text/plain");
                  break;
                case Case::kTimeout: {
                  // Longer than the timeout, but cut short when the test ends so that stopping
                  // the server does not wait for it.
                  std::unique_lock<std::mutex> lock(mutex_);
                  closing_.wait_for(lock, milliseconds(kTimeoutMs * 10),
                                    [this] { return closed_; });
                  break;
                }
              }
            });
          }) {}
    ~Mock() {
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
      }
      closing_.notify_all();
    }
    Mock(const Mock&) = delete;
    Mock& operator=(const Mock&) = delete;

    std::string options_yaml() const {
      return "type: webhook\nurl: " + http_.url("/hook") +
             "\nsecret: behaviour-suite-secret-0123\ntimeout_ms: " + std::to_string(kTimeoutMs) +
             "\n";
    }
    ChannelContext context() const { return {}; }
    void answer(Case c) { answer_ = c; }
    std::size_t requests() const { return requests_.load(); }

   private:
    std::mutex mutex_;
    std::condition_variable closing_;
    bool closed_ = false;  // guarded by mutex_
    std::atomic<Case> answer_{Case::kSuccess};
    std::atomic<std::size_t> requests_{0};
    test::LogCapture quiet_;
    test::HttpMock http_;
  };

  static std::vector<BadConfig> bad_configs() {
    return {
        {"type: webhook\nsecret: behaviour-suite-secret-0123\n", "channels.ch.url", "is required"},
        {"type: webhook\nurl: http://127.0.0.1:1/hook\n", "channels.ch.secret", "is required"},
        {"type: webhook\nurl: mailto:x\nsecret: behaviour-suite-secret-0123\n", "channels.ch.url",
         "absolute URL"}};
  }
};

// --- wechat_template ---------------------------------------------------------------------

/// Makes a WeChat mock answer each case as WeChat does.
void wechat_answer(test::WechatMock& mock, Case c, int permanent_errcode, int timeout_ms) {
  switch (c) {
    case Case::kSuccess:
      mock.set_default({});
      break;
    case Case::kRetryable:
      mock.set_default(test::WechatMock::errcode(45011, "api minute-quota reach limit"));
      break;
    case Case::kPermanent:
      mock.set_default(test::WechatMock::errcode(permanent_errcode, "rejected by the mock"));
      break;
    case Case::kTimeout:
      mock.set_default({200, nullptr, milliseconds(timeout_ms * 10)});
      break;
  }
}

struct WechatTemplateTraits {
  static constexpr const char* kType = "wechat_template";
  static constexpr bool supports(Case /*c*/) { return true; }
  static constexpr int kTimeoutMs = 300;
  /// 45011 (per-minute quota) comes back with a one-minute hint.
  static std::optional<std::int64_t> retry_after_hint() { return 60; }

  class Mock {
   public:
    std::string options_yaml() const {
      return "type: wechat_template\nappid: wxbehaviour\nsecret: behaviour-suite-secret\n"
             "base_url: " +
             wechat_.url() + "\ntimeout_ms: " + std::to_string(kTimeoutMs) +
             "\ntemplate_id: TMPL-1\nfields:\n  thing1: \"{{category_name}}即将用完\"\n";
    }
    ChannelContext context() const { return {}; }
    void answer(Case c) { wechat_answer(wechat_, c, 43004, kTimeoutMs); }
    std::size_t requests() const { return wechat_.sends().size(); }

   private:
    test::LogCapture quiet_;
    test::WechatMock wechat_;
  };

  static std::vector<BadConfig> bad_configs() {
    const std::string fields = "fields:\n  thing1: \"{{category_name}}\"\n";
    return {{"type: wechat_template\nsecret: s\ntemplate_id: T\n" + fields, "channels.ch.appid",
             "is required"},
            {"type: wechat_template\nappid: wx1\ntemplate_id: T\n" + fields, "channels.ch.secret",
             "is required"},
            {"type: wechat_template\nappid: wx1\nsecret: s\n" + fields, "channels.ch.template_id",
             "is required"},
            {"type: wechat_template\nappid: wx1\nsecret: s\ntemplate_id: T\n"
             "fields:\n  thing1: \"{{nope}}\"\n",
             "channels.ch.fields.thing1", "unknown variable 'nope'"}};
  }
};

// --- wechat_subscribe --------------------------------------------------------------------

struct WechatSubscribeTraits {
  static constexpr const char* kType = "wechat_subscribe";
  static constexpr bool supports(Case /*c*/) { return true; }
  static constexpr int kTimeoutMs = 300;
  static std::optional<std::int64_t> retry_after_hint() { return 60; }

  class Mock {
   public:
    Mock() { consents_.grant("u7", "SUB-1", 1000); }
    std::string options_yaml() const {
      return "type: wechat_subscribe\nappid: wxbehaviour\nsecret: behaviour-suite-secret\n"
             "base_url: " +
             wechat_.url() + "\ntimeout_ms: " + std::to_string(kTimeoutMs) +
             "\ntemplate_id: SUB-1\nfields:\n  thing1: \"{{category_name}}即将用完\"\n";
    }
    ChannelContext context() { return ChannelContext{nullptr, ".", &consents_}; }
    void answer(Case c) { wechat_answer(wechat_, c, 40003, kTimeoutMs); }
    std::size_t requests() const { return wechat_.sends().size(); }

   private:
    InMemoryConsentLedger consents_;
    test::LogCapture quiet_;
    test::WechatMock wechat_;
  };

  static std::vector<BadConfig> bad_configs() {
    const std::string fields = "fields:\n  thing1: \"{{category_name}}\"\n";
    return {{"type: wechat_subscribe\nsecret: s\ntemplate_id: T\n" + fields, "channels.ch.appid",
             "is required"},
            {"type: wechat_subscribe\nappid: wx1\nsecret: s\n" + fields, "channels.ch.template_id",
             "is required"},
            {"type: wechat_subscribe\nappid: wx1\nsecret: s\ntemplate_id: T\n"
             "fields:\n  number1: \"{{days_since_last}}天\"\n",
             "channels.ch.fields.number1", "can never be part of a number"},
            {"type: wechat_subscribe\nappid: wx1\nsecret: s\ntemplate_id: T\n" + fields +
                 "miniprogram_state: beta\n",
             "channels.ch.miniprogram_state", "must be formal, trial or developer"}};
  }
};

using ChannelTraits =
    std::tuple<LogTraits, WebhookTraits, WechatTemplateTraits, WechatSubscribeTraits>;

template <typename T>
std::shared_ptr<Channel> build(typename T::Mock& mock) {
  return test::build_one("ch", mock.options_yaml(), mock.context());
}

/// Declares a case the traits cannot produce, visibly, and tells the caller to stop.
template <typename T>
bool unsupported(Case c, const char* what) {
  if (T::supports(c)) return false;
  const std::string note =
      std::string(T::kType) + ": case '" + what + "' declared unsupported by its traits";
  MESSAGE(note);
  return true;
}

}  // namespace
}  // namespace replenish::notify

TYPE_TO_STRING(replenish::notify::LogTraits);
TYPE_TO_STRING(replenish::notify::WebhookTraits);
TYPE_TO_STRING(replenish::notify::WechatTemplateTraits);
TYPE_TO_STRING(replenish::notify::WechatSubscribeTraits);

namespace replenish::notify {

TEST_CASE_TEMPLATE_DEFINE("notify: channel behaviour: success", T, behaviour_success) {
  typename T::Mock mock;
  mock.answer(Case::kSuccess);
  const auto channel = build<T>(mock);
  CHECK(channel->name() == "ch");
  CHECK(channel->type() == T::kType);
  const auto outcome = channel->send(behaviour_message());
  CHECK(outcome.kind == Outcome::Kind::kDelivered);
  CHECK_FALSE(outcome.provider_id.empty());
  CHECK(mock.requests() == 1);
}

TEST_CASE_TEMPLATE_DEFINE("notify: channel behaviour: retryable", T, behaviour_retryable) {
  if (unsupported<T>(Case::kRetryable, "retryable")) return;
  typename T::Mock mock;
  mock.answer(Case::kRetryable);
  const auto outcome = build<T>(mock)->send(behaviour_message());
  CHECK(outcome.kind == Outcome::Kind::kRetryable);
  CHECK_FALSE(outcome.detail.empty());
  CHECK(outcome.retry_after_seconds == T::retry_after_hint());
}

TEST_CASE_TEMPLATE_DEFINE("notify: channel behaviour: permanent", T, behaviour_permanent) {
  if (unsupported<T>(Case::kPermanent, "permanent")) return;
  typename T::Mock mock;
  mock.answer(Case::kPermanent);
  const auto outcome = build<T>(mock)->send(behaviour_message());
  CHECK(outcome.kind == Outcome::Kind::kPermanent);
  CHECK_FALSE(outcome.detail.empty());
  CHECK(outcome.provider_id.empty());
}

TEST_CASE_TEMPLATE_DEFINE("notify: channel behaviour: timeout", T, behaviour_timeout) {
  if (unsupported<T>(Case::kTimeout, "timeout")) return;
  typename T::Mock mock;
  mock.answer(Case::kTimeout);
  const auto channel = build<T>(mock);
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = channel->send(behaviour_message());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(outcome.kind == Outcome::Kind::kRetryable);
  CHECK(elapsed < milliseconds(T::kTimeoutMs * 3));
}

TEST_CASE_TEMPLATE_DEFINE("notify: channel behaviour: bad config", T, behaviour_bad_config) {
  typename T::Mock mock;
  const auto bad = T::bad_configs();
  REQUIRE_FALSE(bad.empty());
  for (const auto& b : bad) {
    CAPTURE(b.yaml);
    const auto issues = test::build_issues("ch", b.yaml, mock.context());
    CHECK(test::has_issue(issues, b.path, b.reason));
  }
  // Every type reports keys it does not know.
  CHECK(test::has_issue(
      test::build_issues("ch", mock.options_yaml() + "no_such_key: 1\n", mock.context()),
      "channels.ch.no_such_key", "unknown key"));
}

TEST_CASE_TEMPLATE_DEFINE("notify: channel behaviour: concurrent sends", T, behaviour_concurrent) {
  typename T::Mock mock;
  mock.answer(Case::kSuccess);
  const auto channel = build<T>(mock);
  constexpr int kThreads = 6;
  constexpr int kEach = 10;
  std::atomic<int> delivered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::this_thread::sleep_for(milliseconds(3 * t));  // see the backlog note in webhook_test
      for (int i = 0; i < kEach; ++i) {
        const auto m = behaviour_message("rem-" + std::to_string(t) + "-" + std::to_string(i));
        if (channel->send(m).kind == Outcome::Kind::kDelivered) ++delivered;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(delivered == kThreads * kEach);
  CHECK(mock.requests() == kThreads * kEach);
}

TEST_CASE_TEMPLATE_APPLY(behaviour_success, ChannelTraits);
TEST_CASE_TEMPLATE_APPLY(behaviour_retryable, ChannelTraits);
TEST_CASE_TEMPLATE_APPLY(behaviour_permanent, ChannelTraits);
TEST_CASE_TEMPLATE_APPLY(behaviour_timeout, ChannelTraits);
TEST_CASE_TEMPLATE_APPLY(behaviour_bad_config, ChannelTraits);
TEST_CASE_TEMPLATE_APPLY(behaviour_concurrent, ChannelTraits);

}  // namespace replenish::notify
