// The HTTP layer arrives with the serving issue; this keeps the target valid.
namespace rcommerce::server {
int placeholder_symbol = 0;
}
