/* placeholder: filled in by its owner */
#include <stdint.h>
#include <stddef.h>
#include <rtmpcore.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  return 0;
}
