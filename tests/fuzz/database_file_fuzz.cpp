// Hostile database files: whatever bytes sit at database.url, opening the
// store and reading its schema state must end in a Result error or a
// DatabaseError, never a crash, hang or sanitizer report.
#include "core/store/database.hpp"
#include "core/store/migrations.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace rcommerce;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const std::filesystem::path file =
        std::filesystem::temp_directory_path() / ("rc-fuzz-db-" + std::to_string(::getpid()));
    for (const char *suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(file.string() + suffix);
    }
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));

    store::OpenOptions options;
    options.path = file;
    options.mode = store::OpenMode::existing;
    options.busy_timeout_ms = 0;
    options.pool_size = 1;
    auto database = store::Database::open(options);
    if (!database) {
        return 0;
    }
    try {
        auto report = store::schema_report(**database);
        (void)report;
        auto current = store::check_current(**database);
        (void)current;
    } catch (const store::DatabaseError &) {
        // An expected outcome for a damaged file.
    }
    return 0;
}
