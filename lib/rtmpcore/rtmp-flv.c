#include "rtmp-flv.h"
