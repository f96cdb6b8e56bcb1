"""
Drives a running gateway with NVIDIA's own tritonclient.http, call by call, as a tool built on it would:
metadata, config, repository index, load/unload, statistics, and infer with binary and JSON tensors, class_count,
gzip/deflate compression, timeout and priority. Prints one line per call and 'N passed, M failed'.

Needs Python 3 with tritonclient[http] (pip install 'tritonclient[http]'; or, with no PyPI, Debian's
python3-geventhttpclient python3-numpy python3-rapidjson and tritonclient's python package from the
triton-inference-server/client sources on PYTHONPATH). Not part of `npm test`: the registry this project uses
has no tritonclient.

Usage: python3 bench/compat/tritonclient_check.py [host:port] [admin-token]   (against `npm start`: 127.0.0.1:8787)
"""
import json
import os
import sys

import numpy as np
import tritonclient.http as http
from tritonclient.utils import InferenceServerException

url = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1:8787'
admin = {'authorization': 'Bearer ' + sys.argv[2]} if len(sys.argv) > 2 else {}
client = http.InferenceServerClient(url=url)
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
samples = json.load(open(os.path.join(root, 'models', 'mnist', 'samples.json')))
digits = np.array(samples['inputs'][:200], dtype=np.float32)
labels = np.array(samples['labels'][:200])
results = {'passed': 0, 'failed': 0}


def check(name, call):
    try:
        shown = call()
        results['passed'] += 1
        print('ok  ', name, json.dumps(shown)[:160] if shown is not None else '')
    except Exception as e:  # every failure is reported, the run goes on
        results['failed'] += 1
        print('FAIL', name, type(e).__name__, str(e)[:300])


def infer(binary=True, class_count=0, **kw):
    tensor = http.InferInput('input', list(digits.shape), 'FP32')
    tensor.set_data_from_numpy(digits, binary_data=binary)
    wanted = http.InferRequestedOutput('logits', binary_data=binary, class_count=class_count)
    return client.infer('mnist', [tensor], outputs=[wanted], **kw)


def accuracy(result):
    return float((result.as_numpy('logits').argmax(axis=1) == labels).mean())


def top3(binary):
    scores = infer(binary=binary, class_count=3).as_numpy('logits')
    assert scores.shape == (200, 3), scores.shape
    text = [[x.decode() if isinstance(x, bytes) else str(x) for x in row] for row in scores]
    best = np.array([int(row[0].split(':')[1]) for row in text])
    return {'first': text[0], 'accuracy': float((best == labels).mean())}


def refused_timeout():
    try:
        infer(timeout=1)
    except InferenceServerException as e:
        return {'status': e.status(), 'error': e.message()[:160]}
    raise AssertionError('a 1 µs timeout was served')


check('is_server_live', client.is_server_live)
check('is_server_ready', client.is_server_ready)
check('get_server_metadata', client.get_server_metadata)
check('get_model_metadata', lambda: client.get_model_metadata('mnist'))
check('is_model_ready', lambda: client.is_model_ready('mnist'))
check('get_model_config', lambda: client.get_model_config('mnist'))
check('get_model_repository_index', client.get_model_repository_index)
check('load_model', lambda: client.load_model('mnist', headers=admin))
check('unload_model', lambda: client.unload_model('mnist', headers=admin))
check('infer: 200 digits, binary, no headers', lambda: accuracy(infer()))
check('infer: 200 digits, JSON', lambda: accuracy(infer(binary=False)))
check('infer: gzip request and answer', lambda: accuracy(infer(request_compression_algorithm='gzip', response_compression_algorithm='gzip')))
check('infer: deflate request and answer', lambda: accuracy(infer(request_compression_algorithm='deflate', response_compression_algorithm='deflate')))
check('infer: class_count=3, binary', lambda: top3(True))
check('infer: class_count=3, JSON', lambda: top3(False))
check('infer: timeout and priority', lambda: accuracy(infer(timeout=5_000_000, priority=1)))
check('infer: a timeout nothing can meet is refused', refused_timeout)
check('get_inference_statistics: mnist', lambda: client.get_inference_statistics('mnist')['model_stats'][0]['inference_count'])
check('get_inference_statistics: all', lambda: len(client.get_inference_statistics()['model_stats']))
print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results['failed'] else 0)
