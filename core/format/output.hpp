// A buffered byte sink for command output: a file descriptor (stdout) or a
// string (tests). Writers append to it row by row; it flushes in 64 KiB
// blocks, so a million-row report costs a few thousand write(2) calls and
// holds no more than one block in memory.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace rcommerce::format {

class Output {
public:
    // Writes to `fd`, which stays open and owned by the caller.
    explicit Output(int fd);
    // Appends to `sink` (tests, or output built in memory on purpose).
    explicit Output(std::string &sink);
    Output(const Output &) = delete;
    Output &operator=(const Output &) = delete;
    // Flushes; a failure at this point is lost, so call flush() first.
    ~Output();

    void write(std::string_view text)
    {
        if (m_buffer.size() + text.size() > k_block) {
            drain();
        }
        m_buffer.append(text);
    }
    void put(char ch)
    {
        if (m_buffer.size() >= k_block) {
            drain();
        }
        m_buffer.push_back(ch);
    }
    void integer(int64_t value)
    {
        char digits[24];
        auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        write(std::string_view(digits, static_cast<size_t>(end - digits)));
    }

    // Writes everything buffered. Throws ErrorException (kind internal) when
    // the descriptor refuses the bytes: code "output_closed" when the reader
    // went away (EPIPE, e.g. `| head`; SIGPIPE is ignored), else
    // "output_failed" (disk full, I/O error).
    void flush();

private:
    static constexpr size_t k_block = 64 * 1024;
    void drain();

    int m_fd = -1;
    std::string *m_sink = nullptr;
    std::string m_buffer;
};

} // namespace rcommerce::format
