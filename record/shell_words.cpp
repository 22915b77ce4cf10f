// Commands shown to users (SVG subtitles, suggested command lines) quoted as a shell needs them.
#include <string_view>

#include "record/targets.h"

namespace kiln::record {

namespace {

// `first`: a command's name, where a `=` would make the word a variable assignment.
bool needs_quotes(std::string_view word, bool first) {
  if (word.empty() || (first && word.find('=') != std::string_view::npos)) return true;
  for (const char c : word) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::string_view("-_./,:=+@%").find(c) != std::string_view::npos;
    if (!plain) return true;
  }
  return false;
}

}  // namespace

std::string shell_words(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    const bool first = text.empty();
    if (!first) text += ' ';
    if (!needs_quotes(word, first)) {
      text += word;
      continue;
    }
    // Inside single quotes nothing is special but the quote itself: close, escape, reopen.
    text += '\'';
    for (const char c : word) text += c == '\'' ? std::string("'\\''") : std::string(1, c);
    text += '\'';
  }
  return text;
}

}  // namespace kiln::record
