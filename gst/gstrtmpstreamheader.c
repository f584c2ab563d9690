#include "gstrtmpstreamheader.h"
