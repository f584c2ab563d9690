#include "rtmp-chunk-writer.h"
