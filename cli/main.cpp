#include "cli/app.hpp"

int main(int argc, char **argv)
{
    return rcommerce::cli::run(argc, argv);
}
