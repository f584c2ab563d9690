#include "rtmp-url.h"
