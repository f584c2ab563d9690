#include "rtmp-ertmp.h"
