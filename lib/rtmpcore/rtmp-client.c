#include "rtmp-client.h"
