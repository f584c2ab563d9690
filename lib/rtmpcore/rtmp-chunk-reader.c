#include "rtmp-chunk-reader.h"
