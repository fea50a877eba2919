#include "core/format/output.hpp"

#include "core/util/result.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace rcommerce::format {

Output::Output(int fd) : m_fd(fd)
{
    m_buffer.reserve(k_block);
}

Output::Output(std::string &sink) : m_sink(&sink)
{
    m_buffer.reserve(k_block);
}

Output::~Output()
{
    try {
        flush();
    } catch (...) {
        // Destructors cannot report; callers that care call flush() themselves.
    }
}

void Output::drain()
{
    if (m_sink != nullptr) {
        m_sink->append(m_buffer);
        m_buffer.clear();
        return;
    }
    size_t done = 0;
    while (done < m_buffer.size()) {
        auto n = ::write(m_fd, m_buffer.data() + done, m_buffer.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int saved = errno;
            m_buffer.clear();
            throw ErrorException(make_error(ErrorKind::internal,
                                            saved == EPIPE ? "output_closed" : "output_failed",
                                            "writing the output", std::strerror(saved)));
        }
        done += static_cast<size_t>(n);
    }
    m_buffer.clear();
}

void Output::flush()
{
    if (!m_buffer.empty()) {
        drain();
    }
}

} // namespace rcommerce::format
