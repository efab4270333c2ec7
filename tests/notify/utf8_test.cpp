#include <doctest/doctest.h>

#include <string>

#include "notify/utf8.hpp"

namespace replenish::notify {

TEST_CASE("notify: utf8 length counts code points") {
  CHECK(utf8::length("") == 0);
  CHECK(utf8::length("abc") == 3);
  CHECK(utf8::length("洗衣液") == 3);
  CHECK(utf8::length("a洗😀é") == 4);
  CHECK(utf8::length("\xFF\xFE") == 2);  // ill-formed bytes count one each
  CHECK(utf8::length("\xE6\xB4") == 2);  // a truncated sequence: two ill-formed bytes
}

TEST_CASE("notify: utf8 validation rejects ill-formed sequences") {
  CHECK(utf8::valid(""));
  CHECK(utf8::valid("plain ascii"));
  CHECK(utf8::valid("您的洗衣液快用完啦～😀"));
  CHECK(utf8::valid("\xF4\x8F\xBF\xBF"));        // U+10FFFF
  CHECK_FALSE(utf8::valid("\x80"));              // stray continuation byte
  CHECK_FALSE(utf8::valid("\xE6\xB4"));          // truncated
  CHECK_FALSE(utf8::valid("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(utf8::valid("\xE0\x80\xAF"));      // overlong
  CHECK_FALSE(utf8::valid("\xED\xA0\x80"));      // surrogate U+D800
  CHECK_FALSE(utf8::valid("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(utf8::valid("ab\xFF"));
}

TEST_CASE("notify: utf8 truncation keeps whole characters and ends with an ellipsis") {
  // 25 Chinese characters into a 20-character field: 19 characters and "…".
  const std::string text = "您上次购买的洗衣液预计周六左右用完记得及时补货哦～";
  REQUIRE(utf8::length(text) == 25);
  const std::string cut = utf8::truncate(text, 20);
  CHECK(cut == "您上次购买的洗衣液预计周六左右用完记得…");
  CHECK(utf8::length(cut) == 20);
  CHECK(utf8::truncate(text, 25) == text);
  CHECK(utf8::truncate(text, 100) == text);
  CHECK(utf8::truncate(text, 1) == "…");
  CHECK(utf8::truncate(text, 0) == "");
  CHECK(utf8::truncate("abcdef", 4) == "abc…");
  CHECK(utf8::truncate("ab😀cd", 4) == "ab😀…");
  CHECK(utf8::truncate("ab😀cd", 3) == "ab…");
  CHECK(utf8::truncate("abc", 3) == "abc");
  CHECK(utf8::truncate("", 3) == "");
  // An ill-formed byte is one character and is never merged with its neighbours.
  CHECK(utf8::truncate("\xFF"
                       "洗衣液",
                       3) == "\xFF洗…");
}

TEST_CASE("notify: utf8 line breaks are stripped or replaced") {
  CHECK(utf8::strip_line_breaks("洗衣液\n快用完\r\n啦\r～") == "洗衣液快用完啦～");
  CHECK(utf8::strip_line_breaks("a\r\nb\nc", " ") == "a b c");
  CHECK(utf8::strip_line_breaks("a\xC2\x85"
                                "b\xE2\x80\xA8"
                                "c\xE2\x80\xA9"
                                "d") == "abcd");
  CHECK(utf8::strip_line_breaks("no breaks") == "no breaks");
  CHECK(utf8::strip_line_breaks("\n\n", "/") == "//");
}

}  // namespace replenish::notify
