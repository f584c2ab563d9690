#include "rtmp-amf.h"
